import CLibvirt
import Foundation
import Testing
import UnitopTesting

/// libvirt is loaded with dlopen on first use (CLibvirt's stubs), not linked: a process that
/// never uses the libvirt backend does not load libvirt's ~55 shared libraries, and the qemu
/// backend works where libvirt is not installed.
@Suite(.serialized)
struct LibvirtLoaderTests {
    /// The stubs resolve and forward: the in-process test driver answers through them.
    @Test func stubsForwardToTheLoadedLibrary() throws {
        #expect(unitop_vir_load_error() == nil)
        #expect(unitop_virqemu_load_error() == nil, "libvirt-qemu.so.0 (QMP pass-through for restart) loads too")
        let conn = try #require(virConnectOpen("test:///default"), "virConnectOpen through the stub")
        defer { virConnectClose(conn) }
        var domains: UnsafeMutablePointer<OpaquePointer?>?
        let count = virConnectListAllDomains(conn, &domains, 0)
        #expect(count >= 1)
        var names: [String] = []
        if let domains {
            for i in 0..<Int(max(count, 0)) {
                guard let d = domains[i] else { continue }
                if let n = virDomainGetName(d) { names.append(String(cString: n)) }
                virDomainFree(d)
            }
            free(domains)
        }
        #expect(names.contains("test"))
    }

    /// The binary has no DT_NEEDED entry for libvirt (linking it again would bring back the
    /// startup cost for every command).
    @Test func binaryDoesNotLinkLibvirt() throws {
        let bin = try Self.requireBinary()
        let r = try Run.command(["readelf", "-d", bin])
        #expect(r.status == 0, "readelf: \(r.stderr)")
        let needed = r.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.isEmpty, "readelf printed no NEEDED entries")
        #expect(!needed.contains { $0.contains("libvirt") }, "unitop links libvirt: \(needed)")
    }

    /// libvirt-qemu.so.0 is optional: when it cannot be loaded, the rest of the libvirt backend works.
    @Test func unloadableLibvirtQEMUOnlyDisablesRestart() throws {
        let bin = try Self.requireBinary()
        let home = try TemporaryHome(prefix: "lvload")
        defer { home.remove() }
        let fakeDirectory = home.root + "/lib"
        try FileManager.default.createDirectory(atPath: fakeDirectory, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: fakeDirectory + "/libvirt-qemu.so.0", contents: Data()))
        var env = home.environment
        env["LD_LIBRARY_PATH"] = fakeDirectory
        let listed = try Run.command([bin, "ps", "--backend", "libvirt", "--connect", "test:///default"], environment: env)
        #expect(listed.status == 0, "stderr: \(listed.stderr)")
        let restart = try Run.command([bin, "restart", "test", "--backend", "libvirt", "--connect", "test:///default"], environment: env)
        #expect(restart.status == 1)
        #expect(restart.stderr.contains("restart on libvirt needs libvirt-qemu.so.0"), "stderr: \(restart.stderr)")
    }

    /// With an unloadable libvirt.so.0 found first (LD_LIBRARY_PATH), the libvirt backend fails
    /// with one clear line and the qemu backend is unaffected.
    @Test func unloadableLibvirtIsOneClearErrorAndQEMUStillWorks() throws {
        let bin = try Self.requireBinary()
        let home = try TemporaryHome(prefix: "lvload")
        defer { home.remove() }
        let fakeDirectory = home.root + "/lib"
        try FileManager.default.createDirectory(atPath: fakeDirectory, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: fakeDirectory + "/libvirt.so.0", contents: Data()))
        var env = home.environment
        env["LD_LIBRARY_PATH"] = fakeDirectory

        let libvirt = try Run.command([bin, "ps", "--backend", "libvirt", "--connect", "test:///default"], environment: env)
        #expect(libvirt.status == 1)
        let lines = libvirt.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(libvirt.stderr)")
        #expect(libvirt.stderr.hasPrefix("unitop: libvirt backend unavailable: cannot load libvirt.so.0 ("), "stderr: \(libvirt.stderr)")
        #expect(libvirt.stderr.contains(fakeDirectory), "the loader's reason names the file: \(libvirt.stderr)")

        let qemu = try Run.command([bin, "ps", "--json"], environment: env)
        #expect(qemu.status == 0, "stderr: \(qemu.stderr)")
        #expect(qemu.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    private static func requireBinary() throws -> String {
        let bin = Fixtures.unitopBinary
        try #require(FileManager.default.isExecutableFile(atPath: bin), "build the binary first: swift build (looked for \(bin))")
        return bin
    }
}
