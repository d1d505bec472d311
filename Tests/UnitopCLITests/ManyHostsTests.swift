import Foundation
import Models
import Testing
import UnitopTesting

/// One CLI over many hosts (issue 11), end to end: the real binary, local QEMU, and a second,
/// separate libvirt host over real ssh (``SSHLibvirtHost``: an unprivileged user's session
/// daemon behind Debian's sshd on a loopback port; no KVM there, and it cannot read root's files).
///
/// Covers issue 11's many-hosts CLI: `ps`/actions over every configured host in parallel, `host`
/// per row, one stderr line `LABEL: unreachable: …` per unreachable host and exit status 3 for a
/// partial listing, `--host LABEL`, `HOST/NAME` and the refusal of an ambiguous NAME
/// (``everyConfiguredHostListedAndAddressed(_:)``); images uploaded to the remote host, and
/// `--accel auto` falling back to TCG where the host's QEMU cannot use KVM
/// (``runUploadsAnImageTheRemoteUserCannotReadAndFallsBackToTCG(_:)``). The TUI over the same kind
/// of host (its daemon stopped and back, local rows live) is ``TUIEndToEnd/ManyHostsTUITests``.
@Suite(.serialized)
struct ManyHostsTests {
    /// The exit status of a listing that misses an unreachable host (the rows of the others are printed).
    static let partialListingStatus: Int32 = 3

    /// Writes the home's config: `uris` as the libvirt hosts (local qemu stays the default backend).
    static func writeConfig(_ h: CLIHarness, uris: [String], extra: String = "") throws {
        let dir = h.home.configHome + "/unitop"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let list = uris.map { "\"\($0)\"" }.joined(separator: ", ")
        try "\(extra)\n[libvirt]\nuris = [\(list)]\n".write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
    }

    static func removeConfig(_ h: CLIHarness) {
        try? FileManager.default.removeItem(atPath: h.home.configHome + "/unitop/config.toml")
    }

    /// Decodes a `--json` listing; also checks that every row carries a `host` string.
    static func rows(_ r: RunResult) throws -> [Instance] {
        let raw = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(raw.allSatisfy { $0["host"] is String }, "every row has a host: \(r.stdout)")
        return try JSONCoding.decoder().decode([Instance].self, from: Data(r.stdout.utf8))
    }

    /// The command line of the QEMU the ssh host runs for `name`, nil when it does not run.
    static func qemuCommandLine(_ host: SSHLibvirtHost, _ name: String) -> String? {
        guard let text = try? String(contentsOfFile: host.directory + "/run/libvirt/qemu/run/\(name).pid", encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Purges `host` and checks that nothing of it runs any more.
    static func purge(_ host: SSHLibvirtHost) async {
        #expect(await host.purge())
        #expect(host.processesLeft().isEmpty, "left running: \(host.processesLeft())")
    }

    /// One ssh host serves both halves (bringing one up and purging it costs about 8 s).
    @Test func everyConfiguredHostListedAddressedAndUploadedTo() async throws {
        try CLIHarness.requireFixtures()
        let host = try await SSHLibvirtHost.up()
        defer { host.purgeNow() }
        try Self.everyConfiguredHostListedAndAddressed(host)
        try Self.runUploadsAnImageTheRemoteUserCannotReadAndFallsBackToTCG(host)
        await Self.purge(host)
    }

    static func everyConfiguredHostListedAndAddressed(_ host: SSHLibvirtHost) throws {
        let h = try CLIHarness()
        defer { Self.removeConfig(h); h.cleanup() }
        let closedPort = try #require(FreePort.loopbackTCP(), "no free loopback port")
        let unreachable = "qemu+tcp://127.0.0.1:\(closedPort)/system"
        try Self.writeConfig(h, uris: [host.uri, unreachable])

        // The same name on both hosts: local QEMU, and the ssh host's libvirt.
        let name = "mh-" + UUID().uuidString.prefix(6).lowercased()
        try h.start("hello", name: name)
        let kernel = try host.copyToHome(Fixtures.path("hello"), as: name + ".elf")
        let run = try h.unitop(["run", kernel, "--connect", host.uri, "--name", name, "--accel", "tcg", "--detach"], timeout: 120)
        try #require(run.status == 0, "run on \(host.hostLabel): \(run.stderr)")

        // Every host at once; the unreachable one is one line on stderr and status 3.
        let all = try h.unitop(["ps", "--all", "--json"], timeout: 120)
        #expect(all.status == Self.partialListingStatus, "status \(all.status): \(all.stderr)")
        let errLines = all.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(errLines.count == 1, "stderr: \(all.stderr)")
        #expect(errLines.first?.hasPrefix("127.0.0.1: unreachable: ") == true, "stderr: \(all.stderr)")
        let rows = try Self.rows(all)
        #expect(rows.contains { $0.name == name && $0.host == "local" && $0.backend == .qemu }, "\(all.stdout)")
        #expect(rows.contains { $0.name == name && $0.host == host.hostLabel && $0.backend == .libvirt && $0.state == .running }, "\(all.stdout)")

        // --host narrows to one host (the unreachable one is not asked: status 0).
        for label in ["local", host.hostLabel] {
            let one = try h.unitop(["ps", "--all", "--json", "--host", label], timeout: 120)
            #expect(one.status == 0, "--host \(label): \(one.stderr)")
            let r = try Self.rows(one)
            #expect(r.allSatisfy { $0.host == label } && r.contains { $0.name == name }, "--host \(label): \(one.stdout)")
        }

        // The remote guest's console from boot, addressed as HOST/NAME.
        let booted = try Wait.blockingUntil(timeout: 60, interval: 0.5) {
            try h.unitop(["logs", "\(host.hostLabel)/\(name)", "--raw"], timeout: 60).stdout.contains("unitop-fixture hello booted")
        }
        #expect(booted, "logs \(host.hostLabel)/\(name) shows the boot")

        // A NAME on two hosts is refused, listing the candidates; HOST/NAME picks one.
        let ambiguous = try h.unitop(["kill", name], timeout: 120)
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.contains("local/\(name)") && ambiguous.stderr.contains("\(host.hostLabel)/\(name)"), "\(ambiguous.stderr)")
        let killed = try h.unitop(["kill", "\(host.hostLabel)/\(name)"], timeout: 120)
        #expect(killed.status == 0, "kill \(host.hostLabel)/\(name): \(killed.stderr)")
        let after = try Self.rows(try h.unitop(["ps", "--all", "--json"], timeout: 120))
        #expect(after.contains { $0.name == name && $0.host == "local" && $0.state == .running })
        #expect(after.contains { $0.name == name && $0.host == host.hostLabel && $0.state.isFinished })
        #expect(try h.unitop(["rm", "--force", "\(host.hostLabel)/\(name)"], timeout: 120).status == 0)
        #expect(try h.unitop(["rm", "--force", "local/\(name)"], timeout: 60).status == 0)
    }

    static func runUploadsAnImageTheRemoteUserCannotReadAndFallsBackToTCG(_ host: SSHLibvirtHost) throws {
        let h = try CLIHarness()
        let privateDir = "/tmp/unitop-rootonly-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: privateDir); h.cleanup() }
        try FileManager.default.createDirectory(atPath: privateDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let image = privateDir + "/hello.elf"
        try FileManager.default.copyItem(atPath: Fixtures.path("hello"), toPath: image)
        let mode = try FileManager.default.attributesOfItem(atPath: privateDir)[.posixPermissions] as? Int
        try #require(mode == 0o700, "the image directory is root's only")

        let tcg = "up-" + UUID().uuidString.prefix(6).lowercased()
        let auto = "ua-" + UUID().uuidString.prefix(6).lowercased()
        let r1 = try h.unitop(["run", image, "--connect", host.uri, "--name", tcg, "--accel", "tcg", "--detach"], timeout: 180)
        try #require(r1.status == 0, "run --accel tcg from a root-only directory: \(r1.stderr)")
        // No --accel: the remote QEMU cannot use KVM, so auto falls back to TCG.
        let r2 = try h.unitop(["run", image, "--connect", host.uri, "--name", auto, "--detach"], timeout: 180)
        try #require(r2.status == 0, "run (auto accel) from a root-only directory: \(r2.stderr)")

        for n in [tcg, auto] {
            let running = try Wait.blockingUntil(timeout: 60, interval: 0.5) {
                let ps = try h.unitop(["ps", "--all", "--json", "--connect", host.uri], timeout: 60)
                return (try? Self.rows(ps))?.contains { $0.name == n && $0.state == .running } == true
            }
            #expect(running, "\(n) runs on \(host.hostLabel)")
            let cmd = Self.qemuCommandLine(host, n)
            #expect(cmd?.contains("tcg") == true && cmd?.contains("-accel kvm") == false, "\(n) on TCG: \(cmd ?? "no QEMU")")
            #expect(cmd?.contains(privateDir) == false, "QEMU boots the uploaded copy, not the root-only file")
            #expect(try h.unitop(["rm", "--force", n, "--connect", host.uri], timeout: 120).status == 0)
        }
    }
}
