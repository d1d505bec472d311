@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// Restarting libvirtd under a connected backend, and a second connection to the same daemon
/// over TCP. The test restarts the system libvirtd with a temporary config that also listens on
/// 127.0.0.1 (no auth, no TLS), and restarts it with the normal config when done. Part of
/// ``LibvirtSystemTests`` so it never runs while another test uses libvirtd.
extension LibvirtSystemTests {
    static let tcpPort = 16599

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

    @Test func reconnectsAfterRestartAndSecondConnectionOverTCP() async throws {
        try await Self.requireLibvirtd()
        let image = try Self.fixture("hello")
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let name = Self.uniqueName("reconn")
        let config = home.root + "/libvirtd-listen.conf"
        try """
        listen_tls = 0
        listen_tcp = 1
        listen_addr = "127.0.0.1"
        tcp_port = "\(Self.tcpPort)"
        auth_tcp = "none"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        var restarted = false
        defer {
            Self.cleanup(name)
            b.close()
            if restarted {  // back to the normal config
                _ = try? Self.spawnAndWait([Self.script("libvirt-down.sh")], timeout: 60)
                _ = try? Self.spawnAndWait([Self.script("libvirt-up.sh")], timeout: 90)
            }
            home.remove()
        }
        let events = LibvirtTestSupport.EventLog(b.events())
        defer { events.cancel() }
        try #require(await LibvirtTestSupport.eventually(timeout: 15) { b.isConnected })
        _ = try await b.start(LaunchSpec(name: name, imagePath: image, memoryMiB: 32, accel: .tcg))
        let console = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: true))
        defer { console.cancel() }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { console.text.contains("unitop-fixture hello booted") })
        #expect(await LibvirtTestSupport.eventually(timeout: 15) {
            events.events.contains {
                if case .statsBatch(let batch) = $0 { return batch.contains { $0.key.name == name && ($0.value.rssBytes ?? 0) > 0 } }
                return false
            }
        }, "CPU and RSS stats are sampled while subscribed")

        // Stop libvirtd: the loss is reported and operations fail fast while it is down.
        restarted = true
        let down = try await Self.spawnAndWaitOffPool([Self.script("libvirt-down.sh")], timeout: 60)
        try #require(down == 0, "libvirt-down failed")
        func index(_ match: (BackendEvent) -> Bool) -> Int? { events.events.firstIndex(where: match) }
        let isDown: (BackendEvent) -> Bool = {
            if case .connection(_, "system", .disconnected) = $0 { return true } else { return false }
        }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { index(isDown) != nil }, "disconnected is reported")
        let t0 = Date()
        do {
            _ = try await b.instances()
            Issue.record("listing succeeded while libvirtd was down")
        } catch let UnitopError.connection(uri, message) {
            #expect(uri == "qemu:///system")
            #expect(message.contains("reconnecting"), "message: \(message)")
        }
        #expect(Date().timeIntervalSince(t0) < 1 * Wait.timeoutScale, "fails fast instead of waiting for the connect timeout")

        // Start it again (also listening on 127.0.0.1 for the TCP connection below).
        var env = ProcessInfo.processInfo.environment
        env["LIBVIRTD_ARGS"] = "--listen -f \(config)"
        let up = try await Self.spawnAndWaitOffPool([Self.script("libvirt-up.sh")], environment: env, timeout: 90)
        try #require(up == 0, "libvirt-up failed")
        #expect(await LibvirtTestSupport.eventually(timeout: 90) {
            guard let d = index(isDown) else { return false }
            return events.events[d...].contains { if case .connection(_, "system", .connected) = $0 { return true } else { return false } }
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
        // The console kept following (virtlogd is not restarted) and input works on the new connection.
        try await b.sendConsoleInput(name, bytes: Array("again\r".utf8))
        #expect(await LibvirtTestSupport.eventually(timeout: 20) { console.text.contains("you typed: again") })
        #expect(!console.isDone)

        // A second connection to the same daemon over TCP: same domains, another host label.
        let (tcp, home2) = try LibvirtTestSupport.backend("qemu+tcp://127.0.0.1:\(Self.tcpPort)/system")
        defer { tcp.close(); home2.remove() }
        #expect(tcp.host == "127.0.0.1")
        let viaTCP = try await tcp.instances()
        let mine = viaTCP.first { $0.name == name }
        #expect(mine?.state == .running)
        #expect(mine?.host == "127.0.0.1")
        #expect(mine?.managed == true)
        let activeLocal = Set(try await b.instances().filter { $0.state.isActive }.map(\.name))
        let activeTCP = Set(viaTCP.filter { $0.state.isActive }.map(\.name))
        #expect(activeLocal == activeTCP)
        try await tcp.kill(name)
        #expect(await LibvirtTestSupport.eventually(timeout: 15) { events.sawState(name, .stopped) }, "the first connection sees the kill made through the second")
    }
}
