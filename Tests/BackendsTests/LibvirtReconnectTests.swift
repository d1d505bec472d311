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

    /// ``spawnAndWait(_:environment:timeout:)`` on its own thread, so waiting for a daemon never
    /// blocks one of the few threads Swift concurrency (and the backend under test) runs on.
    static func spawnAndWaitOffPool(_ argv: [String], environment: [String: String]? = nil, timeout: Double) async throws -> Int32 {
        try await withCheckedThrowingContinuation { cont in
            Thread {
                do { cont.resume(returning: try spawnAndWait(argv, environment: environment, timeout: timeout)) } catch { cont.resume(throwing: error) }
            }.start()
        }
    }

    /// Runs a command to completion with posix_spawn and waitpid. Foundation's Process is not used
    /// here: it never noticed the exit of a script that started a daemon (the child stayed a
    /// zombie; the daemon apparently keeps an inherited descriptor Process watches), and it passes
    /// the Dispatch thread's signal mask (SIGTERM blocked) on to the daemon. Output goes to this
    /// test's stderr.
    static func spawnAndWait(_ argv: [String], environment: [String: String]? = nil, timeout: Double) throws -> Int32 {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var dflt = sigset_t()
        sigemptyset(&dflt)
        sigaddset(&dflt, SIGTERM); sigaddset(&dflt, SIGINT); sigaddset(&dflt, SIGCHLD); sigaddset(&dflt, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &dflt)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cargv = argv.map { strdup($0) } + [nil]
        var cenv = env.map { strdup($0) } + [nil]
        defer { for p in cargv { free(p) }; for p in cenv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], nil, &attr, &cargv, &cenv)
        try #require(rc == 0, "posix_spawn \(argv[0]): \(String(cString: strerror(rc)))")
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if Date() >= deadline { kill(pid, SIGKILL); _ = waitpid(pid, &status, 0); return -1 }
            usleep(50_000)
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
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

    /// Makes `path` and its parents up to `/tmp/...` traversable, and `path` owned by the test user.
    static func grantTestUser(_ path: String, root: String) throws {
        guard let pw = getpwnam(testUser) else { throw UnitopError.failed("no user \(testUser)") }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var p = path
        while p.hasPrefix(root), p.count >= root.count {
            _ = chmod(p, 0o711)
            p = (p as NSString).deletingLastPathComponent
        }
        _ = chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        _ = chmod(path, 0o755)
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
