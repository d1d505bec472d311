import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

@Suite("QEMU backend lifecycle", .serialized)
struct QEMULifecycleTests {
    @Test func helloRunsPausesResumesRestartsAndStops() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let b = env.backend
        let inst = try await b.start(try env.spec("hello", name: "hello"))
        #expect(inst.state == .running)
        #expect(inst.pid != nil)
        #expect(inst.accel == "tcg")
        #expect(inst.commandLine?.contains("-S") == true)
        let booted = try await QEMUTest.waitForState(b, "hello", [.running])
        #expect(await Wait.until(timeout: 20) { (try? await b.instance(named: "hello").bootMillis) != nil })
        _ = booted

        // History contains the banner; follow sees the heartbeat.
        let all = ConsoleCollector(b.console("hello", history: .all, follow: true))
        defer { all.cancel() }
        #expect(await all.wait(for: "unitop-fixture hello booted"))
        #expect(await all.wait(for: "heartbeat 2"))

        // Typing.
        try await b.sendConsoleInput("hello", bytes: Array("ping\r".utf8))
        #expect(await all.wait(for: "you typed: ping"))

        // Pause stops the heartbeat; resume restarts it.
        try await b.pause("hello")
        #expect(try await b.instance(named: "hello").state == .paused)
        let frozen = all.text.components(separatedBy: "heartbeat").count
        try await Task.sleep(nanoseconds: 2_500_000_000)  // observing that nothing happens needs time
        #expect(all.text.components(separatedBy: "heartbeat").count == frozen)
        try await b.resume("hello")
        #expect(try await b.instance(named: "hello").state == .running)
        #expect(await Wait.until(timeout: 10) { () async -> Bool in all.text.components(separatedBy: "heartbeat").count > frozen })

        // Restart: the banner appears a second time.
        try await b.restart("hello")
        #expect(await Wait.until(timeout: 20) { () async -> Bool in all.text.components(separatedBy: "unitop-fixture hello booted").count >= 3 })

        // Graceful stop: hello ignores ACPI, so the monitor escalates.
        let stopping = Task { try await b.stop("hello", timeoutSeconds: 2) }
        let during = try await QEMUTest.waitForState(b, "hello", [.stopping, .stopped])
        #expect(during.state == .stopping)
        #expect(during.stopDeadline != nil)
        try await stopping.value
        let stopped = try await b.instance(named: "hello")
        #expect(stopped.state == .stopped)
        #expect(stopped.exitReason?.contains("quit after 2s") == true, "\(stopped.exitReason ?? "nil")")
        #expect(await Wait.until(timeout: 10) { () async -> Bool in all.finished })

        try await b.remove("hello", force: false)
        await #expect(throws: UnitopError.instanceNotFound("hello")) { try await b.instance(named: "hello") }
        #expect(try await b.instances().isEmpty)
    }
}
