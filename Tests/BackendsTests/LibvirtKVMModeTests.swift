@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// `--accel` on qemu:///system for each /dev/kvm mode this host can be given: root-only
/// (`0600 root:root`, a container without udev), Debian's udev mode (`0660 root:kvm`) and
/// world-writable (`0666`). The device's mode, owner and group are restored afterwards (other
/// tests run on this host). "Absent" cannot be made for the system libvirtd itself; the unitop
/// process is run without /dev/kvm (`scripts/without-kvm.sh`, a private mount namespace) and the
/// decision is checked with a fake device in ``LibvirtAccelTests``.
extension LibvirtSystemTests {
    struct DeviceMode: Sendable, CustomStringConvertible {
        var mode: mode_t
        var group: String
        var kvmUsable: Bool
        var description: String { "0\(String(mode, radix: 8)) root:\(group)" }
    }

    static let deviceModes = [
        DeviceMode(mode: 0o600, group: "root", kvmUsable: false),
        DeviceMode(mode: 0o660, group: "kvm", kvmUsable: true),
        DeviceMode(mode: 0o666, group: "root", kvmUsable: true),
    ]

    @Test(arguments: deviceModes)
    func accelFollowsWhatLibvirtsQEMUCanOpen(_ m: DeviceMode) async throws {
        try await Self.requireLibvirtd()
        var original = stat()
        try #require(stat(KVMAccess.devicePath, &original) == 0, "no /dev/kvm on this host")
        try #require(getgrnam(m.group) != nil, "no group \(m.group)")
        defer {
            _ = chown(KVMAccess.devicePath, original.st_uid, original.st_gid)
            _ = chmod(KVMAccess.devicePath, original.st_mode & 0o7777)
        }
        try #require(chown(KVMAccess.devicePath, 0, getgrnam(m.group).pointee.gr_gid) == 0)
        try #require(chmod(KVMAccess.devicePath, m.mode) == 0)

        let image = try Self.fixture("hello")
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let auto = Self.uniqueName("auto"), kvm = Self.uniqueName("kvm")
        defer { Self.cleanup(auto); Self.cleanup(kvm); b.close(); home.remove() }

        if !m.kvmUsable {
            // An explicit KVM that cannot work: one line with cause and fix, nothing created.
            do {
                _ = try await b.start(LaunchSpec(name: kvm, imagePath: image, memoryMiB: 32, accel: .kvm))
                Issue.record("--accel kvm started with /dev/kvm \(m)")
            } catch let e as UnitopError {
                let text = e.description
                #expect(!text.contains("\n"))
                #expect(text.contains("/dev/kvm is crw------- root:root"), "message: \(text)")
                #expect(text.contains("chgrp kvm /dev/kvm && chmod 0660 /dev/kvm"), "message: \(text)")
                #expect(!text.contains("unexpectedly closed the monitor"))
            }
            #expect(!Self.domainNames().contains(kvm))
            #expect(!FileManager.default.fileExists(atPath: LibvirtBackend.systemImageDirectory + "/" + kvm + ".kernel"))
        }

        // auto: KVM exactly when libvirt's QEMU can open the device, else TCG saying why; it starts.
        let inst = try await b.start(LaunchSpec(name: auto, imagePath: image, memoryMiB: 32))
        #expect(inst.accel == (m.kvmUsable ? "kvm" : "tcg"), "\(m)")
        if m.kvmUsable {
            #expect(inst.accelNote == nil)
        } else {
            #expect(inst.accelNote?.hasPrefix("TCG: KVM unusable: /dev/kvm is crw------- root:root") == true, "note: \(inst.accelNote ?? "nil")")
            #expect(try await b.instance(named: auto).accelNote == inst.accelNote, "the note is kept with the domain")
        }
        let console = LibvirtTestSupport.ConsoleCapture(b.console(auto, history: .all, follow: true))
        defer { console.cancel() }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { console.text.contains("unitop-fixture hello booted") }, "boots with \(m)")
        try await b.kill(auto)
        try await b.remove(auto, force: false)
    }

    /// No /dev/kvm where unitop runs: an explicit `--accel kvm` on libvirt is one line naming the
    /// cause, before anything is created.
    @Test(.enabled(if: getuid() == 0, "mount namespaces need root"))
    func explicitKVMWithoutTheDeviceFailsOnOneLine() async throws {
        try await Self.requireLibvirtd()
        let image = try Self.fixture("hello")
        let home = try TemporaryHome(prefix: "lvnokvm")
        let name = Self.uniqueName("nokvm")
        defer { Self.cleanup(name); home.remove() }
        let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/without-kvm.sh").path
        let r = try Run.command([script, Fixtures.unitopBinary, "run", image, "--backend", "libvirt", "--connect", Self.uri,
                                 "--accel", "kvm", "--name", name, "--detach"], environment: home.environment, timeout: 60)
        #expect(r.status == 1, "status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.contains("KVM unusable: /dev/kvm does not exist"), "stderr: \(r.stderr)")
        #expect(!Self.domainNames().contains(name))
    }
}
