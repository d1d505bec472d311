import Backends
import Foundation
import Models

/// Runs the Elm loop: merges terminal input, backend events, console streams and ticks into
/// actions, reduces them, runs the effects against the backends and presents frames — at most
/// one per `minFrameInterval`, and only when the state changed. Idle means no wake-ups at all
/// (ticks run only while something on screen changes with time).
@MainActor
public final class Runtime {
    public private(set) var state: AppState
    private let backends: [any UnikernelBackend]
    private let driver: any TerminalDriver
    private let imageDirectories: [String]
    private let clock: @Sendable () -> Date
    /// Shortest time between two frames (coalesces bursts of console output).
    public var minFrameInterval: Duration = .milliseconds(16)

    private var tasks: [Task<Void, Never>] = []
    private var consoleTasks: [InstanceID: Task<Void, Never>] = [:]
    private var inputQueues: [InstanceID: AsyncStream<[UInt8]>.Continuation] = [:]
    private var tickTask: Task<Void, Never>?
    private var tickInterval: Double?
    private var renderPending = false
    private var lastFrame: ContinuousClock.Instant?
    private var renderedRevision = -1
    private var finished = false
    private var done: CheckedContinuation<Void, Never>?
    /// Frames presented (for tests and benchmarks).
    public private(set) var framesPresented = 0

    public init(state: AppState, backends: [any UnikernelBackend], driver: any TerminalDriver,
                imageDirectories: [String], clock: @escaping @Sendable () -> Date = { Date() }) {
        self.state = state
        self.backends = backends
        self.driver = driver
        self.imageDirectories = imageDirectories
        self.clock = clock
    }

    /// Runs until the user quits or terminal input ends; returns the exit status (0).
    public func run() async -> Int32 {
        state.now = clock()
        let size = driver.size
        state.width = size.width; state.height = size.height
        startSources()
        perform(.loadImages)
        renderNow()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if finished { c.resume() } else { done = c }
        }
        tickTask?.cancel()
        for t in tasks { t.cancel() }
        for t in consoleTasks.values { t.cancel() }
        for q in inputQueues.values { q.finish() }
        driver.shutdown()
        return 0
    }

    /// Ends the loop (quitting never stops guests).
    public func stop() {
        guard !finished else { return }
        finished = true
        done?.resume()
        done = nil
    }

    /// Reduces one action, runs its effects and schedules a frame when something visible changed.
    public func send(_ action: Action) {
        guard !finished else { return }
        if case .tick = action {} else { state.now = clock() }
        let effects = reduce(&state, action)
        for e in effects { perform(e) }
        updateTicker()
        if state.revision != renderedRevision { scheduleRender() }
    }

    // MARK: Sources

    private func startSources() {
        let input = driver.events()
        tasks.append(Task { @MainActor [weak self] in
            for await event in input {
                switch event {
                case .key(let k): self?.send(.key(k))
                case .mouse(let m): self?.send(.mouse(m))
                case .resize(let w, let h): self?.send(.resize(width: w, height: h))
                }
            }
            self?.stop()
        })
        for backend in backends {
            let ref = BackendRef(kind: backend.kind, host: backend.host)
            let events = backend.events()
            tasks.append(Task { @MainActor [weak self] in
                for await e in events { self?.send(.backendEvent(e)) }
            })
            tasks.append(Task { @MainActor [weak self] in
                do {
                    let list = try await backend.instances()
                    self?.send(.instancesLoaded(ref, list))
                } catch {
                    self?.send(.instancesLoaded(ref, []))
                    self?.send(.actionFailed("\(ref): \(error)"))
                }
            })
        }
    }

    private func backend(for ref: BackendRef) -> (any UnikernelBackend)? {
        backends.first { $0.kind == ref.kind && $0.host == ref.host }
    }

    private func backend(for id: InstanceID) -> (any UnikernelBackend)? {
        backend(for: BackendRef(kind: id.backend, host: id.host))
    }

    // MARK: Effects

    private func perform(_ effect: Effect) {
        switch effect {
        case .quit: stop()
        case .repaint:
            driver.requestFullRepaint()
            renderNow()
        case .suspend:
            driver.suspend()
            renderNow()
        case .loadImages:
            let dirs = imageDirectories
            Task { @MainActor [weak self] in
                let images = await Task.detached { ImageCatalog(directories: dirs).scan() }.value
                self?.send(.imagesLoaded(images))
            }
        case .openConsole(let id, let history): openConsole(id, history: history)
        case .closeConsole(let id):
            consoleTasks.removeValue(forKey: id)?.cancel()
        case .sendInput(let id, let bytes): sendInput(id, bytes)
        case .start(let spec, let ref):
            guard let b = backend(for: ref) else { send(.actionFailed("no backend \(ref)")); return }
            run("start \(spec.name)") { [weak self] in
                let inst = try await b.start(spec)
                await self?.send(.backendEvent(.instanceChanged(inst)))
                return "started \(inst.name)"
            }
        case .stop(let id, let timeout):
            act(id, "stop", done: "stopped") { try await $0.stop(id.name, timeoutSeconds: timeout) }
        case .kill(let id): act(id, "kill", done: "killed") { try await $0.kill(id.name) }
        case .pause(let id): act(id, "pause", done: "paused") { try await $0.pause(id.name) }
        case .resume(let id): act(id, "resume", done: "resumed") { try await $0.resume(id.name) }
        case .restart(let id): act(id, "restart", done: "restarted") { try await $0.restart(id.name) }
        case .remove(let id, let force): act(id, "remove", done: "removed") { try await $0.remove(id.name, force: force) }
        }
    }

    private func act(_ id: InstanceID, _ verb: String, done: String,
                     _ body: @escaping @Sendable (any UnikernelBackend) async throws -> Void) {
        guard let b = backend(for: id) else { send(.actionFailed("cannot \(verb) \(id.name): no backend \(id.backend)/\(id.host)")); return }
        run("\(verb) \(id.name)") {
            try await body(b)
            return "\(done) \(id.name)"
        }
    }

    /// Runs one backend action; its outcome comes back as an action. Not cancelled on quit: an
    /// action the user confirmed finishes (or the process exits).
    private func run(_ what: String, _ body: @escaping @Sendable () async throws -> String) {
        Task { @MainActor [weak self] in
            do {
                let message = try await body()
                self?.send(.actionSucceeded(message))
            } catch {
                self?.send(.actionFailed("\(what) failed: \(error)"))
            }
        }
    }

    private func openConsole(_ id: InstanceID, history: ConsoleHistory) {
        consoleTasks.removeValue(forKey: id)?.cancel()
        guard let b = backend(for: id) else { send(.consoleEnded(id, error: "no backend")); return }
        let stream = b.console(id.name, history: history, follow: true)
        consoleTasks[id] = Task { @MainActor [weak self] in
            do {
                for try await chunk in stream {
                    if Task.isCancelled { return }
                    self?.send(.consoleData(id, chunk))
                }
                if !Task.isCancelled { self?.send(.consoleEnded(id, error: nil)) }
            } catch {
                if !Task.isCancelled { self?.send(.consoleEnded(id, error: "\(error)")) }
            }
        }
    }

    /// Keystrokes for one guest go through one queue so they arrive in order.
    private func sendInput(_ id: InstanceID, _ bytes: [UInt8]) {
        if let q = inputQueues[id] { q.yield(bytes); return }
        guard let b = backend(for: id) else { return }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        inputQueues[id] = continuation
        continuation.yield(bytes)
        tasks.append(Task { @MainActor [weak self] in
            for await chunk in stream {
                do { try await b.sendConsoleInput(id.name, bytes: chunk) } catch {
                    self?.send(.actionFailed("input to \(id.name) failed: \(error)"))
                }
            }
        })
    }

    // MARK: Ticks and frames

    private func updateTicker() {
        let want = state.tickInterval
        guard want != tickInterval else { return }
        tickInterval = want
        tickTask?.cancel()
        tickTask = nil
        guard let interval = want else { return }
        let clock = self.clock
        tickTask = Task { @MainActor [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                if Task.isCancelled { return }
                self?.send(.tick(clock()))
            }
        }
    }

    private func scheduleRender() {
        guard !renderPending else { return }
        renderPending = true
        var wait: Duration = .zero
        if let last = lastFrame {
            let elapsed = ContinuousClock.now - last
            if elapsed < minFrameInterval { wait = minFrameInterval - elapsed }
        }
        Task { @MainActor [weak self] in
            if wait > .zero { try? await Task.sleep(for: wait) }
            self?.renderPending = false
            self?.renderNow()
        }
    }

    private func renderNow() {
        guard !finished else { return }
        let size = driver.size
        if size.width != state.width || size.height != state.height {
            state.width = size.width; state.height = size.height
            Reducer.ensureListVisible(&state)
        }
        renderedRevision = state.revision
        lastFrame = ContinuousClock.now
        driver.present(Renderer.render(state))
        framesPresented += 1
    }
}
