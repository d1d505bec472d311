import Backends
import Foundation
import Models
import Testing
import UnitopTesting
@testable import TUI

/// An in-memory backend recording the calls the UI makes.
final class FakeBackend: UnikernelBackend, @unchecked Sendable {
    let kind = BackendKind.qemu
    let capabilities = BackendCapabilities.all
    func close() {}
    let host = "local"
    private let lock = NSLock()
    private var _instances: [Instance]
    private var _calls: [String] = []
    private var _input: [UInt8] = []
    private var eventContinuations: [AsyncStream<BackendEvent>.Continuation] = []
    private var consoleContinuations: [AsyncThrowingStream<[UInt8], Error>.Continuation] = []
    let history: [UInt8]

    init(instances: [Instance], history: String) {
        _instances = instances; self.history = Array(history.utf8)
    }

    var calls: [String] { lock.withLock { _calls } }
    var input: [UInt8] { lock.withLock { _input } }
    private func record(_ c: String) { lock.withLock { _calls.append(c) } }

    func instances() async throws -> [Instance] { lock.withLock { _instances } }
    func instance(named name: String) async throws -> Instance {
        guard let i = lock.withLock({ _instances.first { $0.name == name } }) else { throw UnitopError.instanceNotFound(name) }
        return i
    }
    func start(_ spec: LaunchSpec) async throws -> Instance {
        record("start \(spec.name)")
        return Instance(name: spec.name, backend: kind, host: host, image: spec.imagePath, state: .running,
                        memoryMiB: spec.memoryMiB, cpus: spec.cpus)
    }
    func stop(_ name: String, timeoutSeconds: Double) async throws { record("stop \(name) \(Int(timeoutSeconds))") }
    func kill(_ name: String) async throws { record("kill \(name)") }
    func pause(_ name: String) async throws { throw UnitopError.failed("QMP says no") }
    func resume(_ name: String) async throws { record("resume \(name)") }
    func restart(_ name: String) async throws { record("restart \(name)") }
    func remove(_ name: String, force: Bool) async throws { record("remove \(name) \(force)") }
    func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        record("console \(name)")
        let (stream, c) = AsyncThrowingStream<[UInt8], Error>.makeStream()
        c.yield(self.history)
        lock.withLock { consoleContinuations.append(c) }
        return stream
    }
    func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws { lock.withLock { _input += bytes } }
    func events() -> AsyncStream<BackendEvent> {
        let (stream, c) = AsyncStream<BackendEvent>.makeStream()
        lock.withLock { eventContinuations.append(c) }
        return stream
    }
    func emit(_ e: BackendEvent) { for c in lock.withLock({ eventContinuations }) { c.yield(e) } }
    func consoleOutput(_ text: String) { for c in lock.withLock({ consoleContinuations }) { c.yield(Array(text.utf8)) } }
}

@Suite(.serialized) struct RuntimeTests {
    func options(_ driver: InMemoryDriver, readonly: Bool = false) throws -> (TUIOptions, TemporaryHome) {
        let home = try TemporaryHome(prefix: "unitop-tui")
        let paths = UnitopPaths.resolve(environment: home.environment)
        let opts = TUIOptions(readonly: readonly, theme: nil, config: Models.Config(), paths: paths, environment: [:],
                              imageDirectories: [home.root + "/images"], driverFactory: { _ in driver })
        return (opts, home)
    }

    @Test func endToEndWithInMemoryDriver() async throws {
        let driver = InMemoryDriver(width: 120, height: 30)
        let backend = FakeBackend(instances: [makeInstance("web-1", startedAt: Date())], history: "unitop-fixture hello booted\n")
        let (opts, home) = try options(driver)
        defer { home.remove() }
        let app = Task { await TUIApp.run(backends: [backend], options: opts) }
        defer { driver.shutdown() }
        func waitFor(_ text: String) async throws {
            let ok = await Wait.until(timeout: 10) { driver.screenText.contains(text) }
            try #require(ok, "screen never showed \(text):\n\(driver.screenText)")
        }
        try await waitFor("web-1")
        try await waitFor("unitop-fixture hello booted")
        #expect(backend.calls.contains("console web-1"))

        backend.consoleOutput("heartbeat 1\n")
        try await waitFor("heartbeat 1")

        driver.type(.character("S"))
        try await waitFor("Stop web-1?")
        driver.type(.character("y"))
        try #require(await Wait.until(timeout: 10) { backend.calls.contains("stop web-1 10") }, "stop called")
        try await waitFor("stopped web-1")

        driver.type(.character("p"))
        try await waitFor("pause web-1 failed: QMP says no")

        backend.emit(.instanceChanged(makeInstance("web-2", startedAt: Date())))
        try await waitFor("web-2")

        driver.type(.character("a"), .character("h"), .character("i"), .enter)
        try await waitFor("INPUT → guest web-1")
        try #require(await Wait.until(timeout: 10) { backend.input == Array("hi\r".utf8) }, "input forwarded in order")
        driver.type(.control("]"))
        try #require(await Wait.until(timeout: 10) { !driver.screenText.contains("INPUT →") }, "left interactive")

        driver.send(.resize(width: 30, height: 8))
        try await waitFor("terminal too small: 30x8")
        driver.send(.resize(width: 100, height: 25))
        try #require(await Wait.until(timeout: 10) { driver.frames.last?.width == 100 && driver.lines.count == 25 }, "resized frame")

        driver.type(.character("q"))
        let status = await app.value
        #expect(status == 0)
        #expect(driver.isShutDown)
        // Quitting never stops guests.
        #expect(!backend.calls.contains { $0.hasPrefix("kill") || $0.hasPrefix("remove") })
        #expect(backend.calls.filter { $0.hasPrefix("stop") }.count == 1)
    }

    @Test func idleRuntimeDoesNotRedraw() async throws {
        let driver = InMemoryDriver(width: 100, height: 30)
        let backend = FakeBackend(instances: [makeInstance("done", state: .exited, exitCode: 0)], history: "bye\n")
        let (opts, home) = try options(driver)
        defer { home.remove() }
        let app = Task { await TUIApp.run(backends: [backend], options: opts) }
        try #require(await Wait.until(timeout: 10) { driver.screenText.contains("bye") && driver.screenText.contains("done") }, "loaded")
        // Let any pending work settle, then expect no frames while nothing happens.
        let settled = await Wait.until(timeout: 10) {
            let n = driver.presentCount
            try? await Task.sleep(for: .milliseconds(300))
            return driver.presentCount == n
        }
        try #require(settled)
        let frames = driver.presentCount
        try await Task.sleep(for: .milliseconds(1500))
        #expect(driver.presentCount == frames)
        driver.type(.character("q"))
        #expect(await app.value == 0)
    }

    /// A runtime driven directly (not through TUIApp) so the test can read its counters.
    @MainActor func directRuntime(_ backend: FakeBackend, _ driver: InMemoryDriver) -> Runtime {
        var state = AppState()
        state.width = driver.size.width; state.height = driver.size.height
        state.backends = [BackendRef(kind: backend.kind, host: backend.host)]
        return Runtime(state: state, backends: [backend], driver: driver, imageDirectories: [])
    }

    @MainActor @Test func statsThatReadTheSameDrawNothingAndOldUptimesWakeOncePerMinute() async throws {
        let driver = InMemoryDriver(width: 200, height: 30)
        // Up 10m00.5s: the UP cell reads "10m" for the next 59.5 s.
        let started = Date().addingTimeInterval(-600.5)
        let backend = FakeBackend(instances: [makeInstance("q", startedAt: started)], history: "idle\n")
        let runtime = directRuntime(backend, driver)
        let app = Task { @MainActor in await runtime.run() }
        let id = InstanceID(backend: .qemu, host: "local", name: "q")
        func batch(_ cpu: Double) { backend.emit(.statsBatch([id: InstanceStats(cpuPercent: cpu, rssBytes: 40 << 20)])) }
        let ok1 = await Wait.until(timeout: 10) { @MainActor in driver.screenText.contains("idle") && driver.screenText.contains(" 10m ") }
        try #require(ok1)

        // The next wake-up is when "10m" turns "11m", not a second from now.
        let wake = try #require(runtime.nextWakeUp)
        #expect(abs(wake.timeIntervalSince(started) - 660) < 0.01, "next wake-up \(wake.timeIntervalSinceNow) s away")

        // Fill the sparkline, then wait for the frame that shows it full.
        for _ in 0..<StatsHistory.capacity { batch(0) }
        let flat = String(repeating: "▁", count: 12)
        let ok2 = await Wait.until(timeout: 10) { @MainActor in runtime.actionsReduced >= 3 + StatsHistory.capacity && driver.screenText.contains(flat) }
        try #require(ok2)
        let ok3 = await Wait.until(timeout: 10) { @MainActor in runtime.framesPresented == driver.presentCount && runtime.state.revision == runtime.renderedRevisionForTests }
        try #require(ok3)
        let frames = driver.presentCount, revision = runtime.state.revision, reduced = runtime.actionsReduced

        // An idle guest: 0 or 1 clock tick a second. Nothing on screen changes, nothing is drawn.
        let quiet = [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        for cpu in quiet { batch(cpu) }
        let ok4 = await Wait.until(timeout: 10) { @MainActor in runtime.actionsReduced >= reduced + quiet.count }
        try #require(ok4)
        #expect(runtime.state.revision == revision, "a quiet stats batch asked for a frame")
        #expect(driver.presentCount == frames)
        #expect(runtime.nextWakeUp == wake)

        // A visible change is drawn.
        backend.emit(.statsBatch([id: InstanceStats(cpuPercent: 0, rssBytes: 80 << 20)]))
        let ok5 = await Wait.until(timeout: 10) { @MainActor in driver.screenText.contains("80M") }
        try #require(ok5)
        #expect(driver.presentCount > frames)
        driver.type(.character("q"))
        #expect(await app.value == 0)
    }

    @Test func burstsOfConsoleOutputAreCoalescedIntoFewFrames() async throws {
        let driver = InMemoryDriver(width: 100, height: 30)
        let backend = FakeBackend(instances: [makeInstance("flood", startedAt: Date())], history: "start\n")
        let (opts, home) = try options(driver)
        defer { home.remove() }
        let app = Task { await TUIApp.run(backends: [backend], options: opts) }
        try #require(await Wait.until(timeout: 10) { driver.screenText.contains("start") })
        let before = driver.presentCount
        for i in 0..<2000 { backend.consoleOutput("chunk \(i)\n") }
        try #require(await Wait.until(timeout: 20) { driver.screenText.contains("chunk 1999") })
        let frames = driver.presentCount - before
        print("coalescing: \(frames) frames for 2000 console chunks")
        #expect(frames < 500, "\(frames) frames for 2000 chunks")
        #expect(driver.screenText.contains("2,001 lines"))
        driver.type(.character("q"))
        #expect(await app.value == 0)
    }
}
