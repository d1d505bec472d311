@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// Process helpers shared by the libvirt suites (they start daemons and scripts).
extension LibvirtSystemTests {
    static func script(_ name: String) -> String {
        Fixtures.repositoryRoot.appendingPathComponent("scripts/\(name)").path
    }

    /// ``spawnAndWait(_:environment:timeout:)`` on its own thread (UnitopTesting's ``UnblockedSpawn``).
    static func spawnAndWaitOffPool(_ argv: [String], environment: [String: String]? = nil, timeout: Double) async throws -> Int32 {
        try await UnblockedSpawn.runOffPool(argv, environment: environment, timeout: timeout)
    }

    /// Runs a command to completion with no signals blocked (UnitopTesting's ``UnblockedSpawn``:
    /// posix_spawn and waitpid, not Foundation's Process). Output goes to this test's stderr.
    static func spawnAndWait(_ argv: [String], environment: [String: String]? = nil, timeout: Double) throws -> Int32 {
        try UnblockedSpawn.run(argv, environment: environment, timeout: timeout)
    }
}

/// Restarting libvirtd under a connected backend, and a second connection to the same daemon
/// over TCP, against a private libvirtd (`scripts/libvirt-private.sh`): the session daemon of an
/// unprivileged test user with its own config, sockets and a free loopback port, stopped and
/// removed afterwards. The system libvirtd is never restarted or reconfigured.
@Suite(.serialized)
struct LibvirtReconnectTests {
    static let script = LibvirtSystemTests.script("libvirt-private.sh")
    static let testUser = "unitop-lvtest"

    /// A loopback TCP port nobody listens on now.
    static func freePort() throws -> Int {
        try #require(FreePort.loopbackTCP(), "cannot bind a loopback port")
    }

    static func privateDaemon(_ args: [String]) async throws -> Int32 {
        try await LibvirtSystemTests.spawnAndWaitOffPool([script] + args, timeout: 90)
    }

    /// Makes `path` and its parents up to `root` traversable, and `path` owned by the test user
    /// (``SSHLibvirtHost/grantUser(_:root:user:)``).
    static func grantTestUser(_ path: String, root: String) throws {
        try SSHLibvirtHost.grantUser(path, root: root, user: testUser)
    }

    @Test func reconnectsAfterRestartAndSecondConnectionOverTCP() async throws {
        let image = try LibvirtSystemTests.fixture("hello")
        let port = try Self.freePort()
        let dir = "/tmp/unitop-lvd-" + UUID().uuidString.prefix(8).lowercased()
        defer { _ = try? LibvirtSystemTests.spawnAndWait([Self.script, "purge", dir], timeout: 90) }
        try #require(try await Self.privateDaemon(["up", dir, String(port)]) == 0, "cannot start the private libvirtd")
        let uri = "qemu+unix:///session?socket=\(dir)/run/libvirt/libvirt-sock"
        let (b, home) = try LibvirtTestSupport.backend(uri)
        let name = LibvirtSystemTests.uniqueName("reconn")
        defer { b.close(); home.remove() }
        // The domain runs as the test user: it reads the image and its virtlogd writes the log.
        let kernel = dir + "/home/hello.elf"
        try FileManager.default.copyItem(atPath: image, toPath: kernel)
        try Self.grantTestUser(dir + "/home", root: dir)
        try Self.grantTestUser(home.stateDirectory + "/libvirt/session/" + name, root: home.root)

        let events = LibvirtTestSupport.EventLog(b.events())
        defer { events.cancel() }
        try #require(await LibvirtTestSupport.eventually(timeout: 15) { b.isConnected })
        #expect(b.host == "session")
        _ = try await b.start(LaunchSpec(name: name, imagePath: kernel, memoryMiB: 32, accel: .tcg))
        let console = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: true))
        defer { console.cancel() }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { console.text.contains("unitop-fixture hello booted") })
        #expect(await LibvirtTestSupport.eventually(timeout: 15) {
            events.events.contains {
                if case .statsBatch(let batch) = $0 { return batch.contains { $0.key.name == name && ($0.value.rssBytes ?? 0) > 0 } }
                return false
            }
        }, "CPU and RSS stats are sampled while subscribed")

        // Stop the private libvirtd: the loss is reported and operations fail fast while it is down.
        try #require(try await Self.privateDaemon(["down", dir]) == 0, "cannot stop the private libvirtd")
        func index(_ match: (BackendEvent) -> Bool) -> Int? { events.events.firstIndex(where: match) }
        let isDown: (BackendEvent) -> Bool = {
            if case .connection(_, "session", .disconnected) = $0 { return true } else { return false }
        }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { index(isDown) != nil }, "disconnected is reported")
        let t0 = Date()
        do {
            _ = try await b.instances()
            Issue.record("listing succeeded while libvirtd was down")
        } catch let UnitopError.connection(u, message) {
            #expect(u == uri)
            #expect(message.contains("reconnecting"), "message: \(message)")
        }
        #expect(Date().timeIntervalSince(t0) < 1 * Wait.timeoutScale, "fails fast instead of waiting for the connect timeout")

        // Start it again: the backend reconnects by itself.
        try #require(try await Self.privateDaemon(["up", dir, String(port)]) == 0, "cannot restart the private libvirtd")
        #expect(await LibvirtTestSupport.eventually(timeout: 90) {
            guard let d = index(isDown) else { return false }
            return events.events[d...].contains { if case .connection(_, "session", .connected) = $0 { return true } else { return false } }
        }, "connected is reported after the restart")
        #expect(b.isConnected)
        // The refreshed list is right: the domain survived the daemon restart.
        let list = try await b.instances()
        #expect(list.contains { $0.name == name && $0.state == .running && $0.managed })
        if let d = index(isDown) {
            #expect(await LibvirtTestSupport.eventually(timeout: 10) {
                events.events[d...].contains { if case .instanceChanged(let i) = $0 { return i.name == name && i.state == .running } else { return false } }
            }, "instances are re-announced after reconnecting")
        }
        // The console kept following (virtlogd was not restarted) and input works on the new connection.
        try await b.sendConsoleInput(name, bytes: Array("again\r".utf8))
        #expect(await LibvirtTestSupport.eventually(timeout: 20) { console.text.contains("you typed: again") })
        #expect(!console.finished)

        // A second connection to the same daemon over loopback TCP: same domains, another host label.
        let (tcp, home2) = try LibvirtTestSupport.backend("qemu+tcp://127.0.0.1:\(port)/session")
        defer { tcp.close(); home2.remove() }
        #expect(tcp.host == "127.0.0.1:session")
        let viaTCP = try await tcp.instances()
        let mine = viaTCP.first { $0.name == name }
        #expect(mine?.state == .running)
        #expect(mine?.managed == true)
        let activeLocal = Set(try await b.instances().filter { $0.state.isActive }.map(\.name))
        let activeTCP = Set(viaTCP.filter { $0.state.isActive }.map(\.name))
        #expect(activeLocal == activeTCP)
        try await tcp.kill(name)
        #expect(await LibvirtTestSupport.eventually(timeout: 15) { events.sawState(name, .stopped) }, "the first connection sees the kill made through the second")
    }
}
