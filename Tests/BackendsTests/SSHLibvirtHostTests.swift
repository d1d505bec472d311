@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// The libvirt backend against a second, separate libvirt host reached over real ssh
/// (``SSHLibvirtHost``, `scripts/libvirt-ssh.sh`): an unprivileged test user's session daemon
/// behind Debian's sshd on a loopback port. Its QEMU runs as that user (no KVM: TCG), and every
/// process of the setup is gone afterwards.
@Suite(.serialized)
struct SSHLibvirtHostTests {
    /// Purges `host` and checks nothing of it is left: no process, no directory; and, once no
    /// other host shares the test user (suites running side by side), no process of that user and
    /// no user at all when this setup created it.
    static func purgeAndCheck(_ host: SSHLibvirtHost, userExistedBefore: Bool) async {
        #expect(await host.purge(), "scripts/libvirt-ssh.sh purge failed")
        #expect(host.processesLeft().isEmpty, "left running: \(host.processesLeft())")
        #expect(!FileManager.default.fileExists(atPath: host.directory))
        guard !SSHLibvirtHost.anyHostUp else { return }
        #expect(SSHLibvirtHost.processes(ofUID: host.uid).isEmpty, "left running: \(SSHLibvirtHost.processes(ofUID: host.uid))")
        if !userExistedBefore {
            #expect(getpwnam(SSHLibvirtHost.user) == nil, "the test user is removed")
            #expect(!FileManager.default.fileExists(atPath: SSHLibvirtHost.home), "its home is removed")
        }
    }

    /// One host serves both checks (bringing one up and purging it costs about 8 s): the host key
    /// first, then the daemon going away and coming back; then nothing is left.
    @Test func hostKeyCheckedThenDaemonStoppedAndRestartedBehindSSH() async throws {
        let userExistedBefore = getpwnam(SSHLibvirtHost.user) != nil
        let host = try await SSHLibvirtHost.up()
        defer { host.purgeNow() }
        try Self.hostKeyIsCheckedAndRootsSSHFilesAreUntouched(host)
        try await Self.remoteDaemonStoppedAndRestartedBehindSSH(host)
        await Self.purgeAndCheck(host, userExistedBefore: userExistedBefore)
    }

    static func remoteDaemonStoppedAndRestartedBehindSSH(_ host: SSHLibvirtHost) async throws {
        let (b, home) = try LibvirtTestSupport.backend(host.uri, timeout: 20)
        var closed = false
        defer { if !closed { b.close(); home.remove() } }
        let events = LibvirtTestSupport.EventLog(b.events())
        defer { events.cancel() }
        let label = host.hostLabel
        #expect(await LibvirtTestSupport.eventually(timeout: 20) { b.isConnected })
        _ = try await b.instances()

        // The daemon goes away behind sshd (which stays up): the loss is reported, listing fails fast.
        try await host.stopDaemon()
        let isDown: (BackendEvent) -> Bool = {
            if case .connection(_, label, .disconnected) = $0 { return true } else { return false }
        }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { events.events.contains(where: isDown) }, "disconnected is reported")
        do {
            _ = try await b.instances()
            Issue.record("listing succeeded while the remote libvirtd was down")
        } catch let UnitopError.connection(uri, _) {
            #expect(uri == host.uri)
        }

        // It comes back: the backend reconnects through ssh by itself.
        try await host.startDaemon()
        #expect(await LibvirtTestSupport.eventually(timeout: 90) {
            guard let d = events.events.firstIndex(where: isDown) else { return false }
            return events.events[d...].contains { if case .connection(_, label, .connected) = $0 { return true } else { return false } }
        }, "connected is reported after the restart")
        #expect(b.isConnected)
        #expect(try await b.instances().isEmpty)

        events.cancel()
        b.close(); home.remove(); closed = true
    }

    /// The host key is really checked (the URI does not turn verification off), through a
    /// known_hosts file of the test's own: root's `~/.ssh` is neither read nor written.
    static func hostKeyIsCheckedAndRootsSSHFilesAreUntouched(_ host: SSHLibvirtHost) throws {
        let rootKnownHosts = (getpwuid(getuid()).map { String(cString: $0.pointee.pw_dir) } ?? "/root") + "/.ssh/known_hosts"
        let before = FileManager.default.contents(atPath: rootKnownHosts)
        #expect(!host.uri.contains("no_verify"))
        let ok = LibvirtSystemTests.virsh(["version"], uri: host.uri)
        #expect(ok?.status == 0, "virsh through ssh: \(ok?.stderr ?? "did not run")")

        // Another host key in the test's known_hosts: ssh refuses the host.
        let knownHosts = host.directory + "/ssh/known_hosts"
        let good = try String(contentsOfFile: knownHosts, encoding: .utf8)
        let clientKey = try String(contentsOfFile: host.directory + "/ssh/id_ed25519.pub", encoding: .utf8)
        let wrongKey = clientKey.split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(host.sshPort) \(wrongKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let refused = LibvirtSystemTests.virsh(["version"], uri: host.uri)
        #expect(refused?.status != 0)
        #expect(refused?.stderr.contains("Host key verification failed") == true, "\(refused?.stderr ?? "")")
        try good.write(toFile: knownHosts, atomically: true, encoding: .utf8)
        #expect(LibvirtSystemTests.virsh(["version"], uri: host.uri)?.status == 0)

        #expect(FileManager.default.contents(atPath: rootKnownHosts) == before, "root's known_hosts is untouched")
    }
}
