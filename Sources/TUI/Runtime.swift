import Foundation
import Logging
import Models

/// Runs the Elm loop: merges terminal input, backend events, console streams and ticks into
/// actions, reduces them, runs the effects against the backends and presents frames — at most
/// one per `minFrameInterval`, and only when something visible changed. Idle means no wake-ups
/// of its own: a tick is scheduled only for the next moment some visible text changes with time
/// (``AppState/nextTimeChange(after:)``), never at a fixed rate.
@MainActor
public final class Runtime {
    public private(set) var state: AppState
    private let backends: [any UnikernelBackend]
    private let driver: any TerminalDriver
    private let imageDirectories: [String]
    private let clock: @Sendable () -> Date
    /// Every backend failure the runtime sees is logged here as well as shown in the status bar.
    private let logger: Logger
    /// Shortest time between two frames (coalesces bursts of console output).
    public var minFrameInterval: Duration = .milliseconds(16)

    private var tasks: [Task<Void, Never>] = []
    private var consoleTasks: [InstanceID: Task<Void, Never>] = [:]
    private var inputQueues: [InstanceID: AsyncStream<[UInt8]>.Continuation] = [:]
    private var tickTask: Task<Void, Never>?
    /// When the scheduled tick fires (nil: none scheduled).
    public private(set) var nextWakeUp: Date?
    /// `state.now` of the frame on screen.
    private var renderedNow = Date(timeIntervalSince1970: 0)
    private var renderPending = false
    private var lastFrame: ContinuousClock.Instant?
    private var renderedRevision = -1
    private var finished = false
    private var done: CheckedContinuation<Void, Never>?
    /// Frames presented (for tests and benchmarks).
    public private(set) var framesPresented = 0
    /// Actions reduced (for tests: an action was handled, whether or not it drew a frame).
    public private(set) var actionsReduced = 0
    /// The state revision on screen (tests: equal to `state.revision` when no frame is due).
    var renderedRevisionForTests: Int { renderedRevision }

    public init(state: AppState, backends: [any UnikernelBackend], driver: any TerminalDriver,
                imageDirectories: [String], clock: @escaping @Sendable () -> Date = { Date() },
                logger: Logger = Logger(label: "unitop.tui")) {
        self.logger = logger
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
        actionsReduced += 1
        for e in effects { perform(e) }
        if state.revision != renderedRevision { scheduleRender() }
        updateTicker()
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
                    self?.logger.error("\(ref): cannot list instances: \(error)")
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
            for backend in backends {
                guard let store = backend as? any ImageStoring else { continue }
                let host = backend.host
                Task { @MainActor [weak self] in
                    // A host that does not answer keeps its earlier list (or none).
                    if case .success(let images) = await HostDeadline.run(seconds: 10, { try await store.storedImages() }) {
                        self?.send(.hostImagesLoaded(host: host, images))
                    }
                }
            }
        case .openConsole(let id, let history): openConsole(id, history: history)
        case .closeConsole(let id):
            consoleTasks.removeValue(forKey: id)?.cancel()
        case .sendInput(let id, let bytes): sendInput(id, bytes)
        case .start(let spec, let ref):
            guard let b = backend(for: ref) else { fail("start \(spec.name): no backend \(ref)"); return }
            logger.info("start \(spec.name) on \(ref) from \(spec.imagePath) memory=\(spec.memoryMiB)M cpus=\(spec.cpus) machine=\(spec.machine) accel=\(spec.accel.rawValue)")
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
        guard let b = backend(for: id) else { fail("cannot \(verb) \(id.name): no backend \(id.backend)/\(id.host)"); return }
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
                self?.fail("\(what) failed: \(error)")
            }
        }
    }

    /// A failed backend action: logged, and shown in the status bar.
    private func fail(_ message: String) {
        logger.error("\(message)")
        send(.actionFailed(message))
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
                if !Task.isCancelled {
                    self?.logger.warning("console of \(id.backend)/\(id.host)/\(id.name) failed: \(error)")
                    self?.send(.consoleEnded(id, error: "\(error)"))
                }
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
                    self?.fail("input to \(id.name) failed: \(error)")
                }
            }
        })
    }

    // MARK: Ticks and frames

    /// Schedules one tick for the next moment the screen changes by itself, counted from the
    /// frame on screen (or from now when a frame is pending). A tick that is already due (time
    /// passed while other actions drew nothing) fires at once. Nothing to wait for: no task.
    private func updateTicker() {
        let base = renderPending ? state.now : renderedNow
        guard let next = state.nextTimeChange(after: base) else {
            tickTask?.cancel(); tickTask = nil; nextWakeUp = nil
            return
        }
        if next == nextWakeUp, tickTask != nil { return }
        tickTask?.cancel()
        nextWakeUp = next
        let clock = self.clock
        // 1 ms past the change, so the text has surely changed when the tick reads the clock.
        let delay = max(0, next.timeIntervalSince(clock())) + 0.001
        tickTask = Task { @MainActor [weak self] in
            try? await Task.sleep(for: .nanoseconds(Int64(delay * 1e9)))
            guard !Task.isCancelled, let self else { return }
            self.tickTask = nil
            self.nextWakeUp = nil
            self.send(.tick(clock()))
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
        renderedNow = state.now
        lastFrame = ContinuousClock.now
        driver.present(Renderer.render(state))
        framesPresented += 1
        updateTicker()
    }
}
