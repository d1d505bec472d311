import Foundation
import Models
import Synchronization

/// A ``UnikernelBackend`` that keeps everything in memory: the fake of the protocol, for tests of
/// front ends and for the conformance suite, which holds it to the same behaviour as the real
/// backends (as swift-nio ships its embedded channel next to the real ones).
///
/// Instances carry their spec's workload (network, ports, initrd, volumes, disks; see
/// ``Instance/applyWorkload(of:)``), nothing is bound on the host, and the first published TCP
/// port is ready at once (`readyMillis` 2). An `exit` guest's code goes through ``GuestExit``
/// (41 is a Unikraft halt, 42 a crash), as on the real backends.
///
/// Guests are ``FakeGuest`` programs picked by the image's file name; an image path that does not
/// exist fails like a real start. Console history is kept from the first byte, live followers get
/// every byte after their history exactly once, and ``events()`` replays the current instances.
public final class InMemoryBackend: UnikernelBackend {
    public let kind: BackendKind
    public let host: String
    public let capabilities: BackendCapabilities
    private let state = Mutex(State())

    private struct Guest {
        var instance: Instance
        var program: FakeGuest
        var history: [UInt8] = []
        var followers: [UInt64: AsyncThrowingStream<[UInt8], Error>.Continuation] = [:]
        var editor = FakeLineEditor()
        var heartbeat: Task<Void, Never>?
        var heartbeats = 0
    }

    private struct State {
        var guests: [String: Guest] = [:]
        var subscribers: [UInt64: AsyncStream<BackendEvent>.Continuation] = [:]
        var nextID: UInt64 = 1
        var closed = false
    }

    /// A fake on `host`, of `kind` (as the front end should label it), with `capabilities`.
    public init(kind: BackendKind = .qemu, host: String = "fake", capabilities: BackendCapabilities = .all) {
        self.kind = kind
        self.host = host
        self.capabilities = capabilities
    }

    // MARK: - Listing

    public func instances() async throws -> [Instance] {
        state.withLock { s in s.guests.values.map(\.instance).sorted { $0.name < $1.name } }
    }

    public func instance(named name: String) async throws -> Instance {
        guard let i = state.withLock({ $0.guests[name]?.instance }) else { throw UnitopError.instanceNotFound(name) }
        return i
    }

    // MARK: - Lifecycle

    public func start(_ spec: LaunchSpec) async throws -> Instance {
        let name = try InstanceName.validate(spec.name)
        guard FileManager.default.isReadableFile(atPath: spec.imagePath) else { throw UnitopError.imageNotFound(spec.imagePath) }
        try LaunchLimits.validateWorkload(spec)
        let program = FakeGuest(imagePath: spec.imagePath, commandLine: spec.kernelCommandLine)
        var inst = Instance(
            name: name, backend: kind, host: host, image: spec.imagePath, state: .running,
            pid: capabilities.processID ? Int32.random(in: 1000...99_999) : nil, memoryMiB: spec.memoryMiB,
            cpus: spec.cpus, startedAt: Date(), bootMillis: capabilities.bootTime ? 1 : nil,
            accel: spec.accel == .kvm ? "kvm" : "tcg", machine: spec.machine, append: spec.append)
        inst.applyWorkload(of: spec)
        // The fake guest answers at once on its first published TCP port, as a ready service would.
        if capabilities.bootTime, ReadinessSchedule.probedPort(spec.ports) != nil { inst.readyMillis = 2 }
        try state.withLock { s throws(UnitopError) in
            if s.guests[name] != nil { throw .instanceExists(name) }
            s.guests[name] = Guest(instance: inst, program: program)
        }
        emit(.instanceChanged(inst))
        boot(name)
        return inst
    }

    public func stop(_ name: String, timeoutSeconds: Double) async throws {
        let (inst, honours) = try guest(name, action: "stop", allowed: { $0.isActive }) { ($0.instance, $0.program.honoursACPI) }
        var stopping = inst
        stopping.state = .stopping
        stopping.stopDeadline = Date().addingTimeInterval(timeoutSeconds)
        update(name) { $0.instance = stopping }
        emit(.instanceChanged(stopping))
        if honours {
            end(name, state: .exited, code: 0, reason: "guest powered off")
            return
        }
        try? await Task.sleep(nanoseconds: UInt64(max(0, timeoutSeconds) * 1e9))
        end(name, state: .stopped, code: nil, reason: "stopped: no ACPI shutdown within \(timeoutSeconds) s; quit")
    }

    public func kill(_ name: String) async throws {
        _ = try guest(name, action: "kill", allowed: { $0.isActive }) { _ in () }
        end(name, state: .stopped, code: nil, reason: "killed")
    }

    public func pause(_ name: String) async throws {
        _ = try guest(name, action: "pause", allowed: { $0 == .running }) { _ in () }
        setState(name, .paused)
    }

    public func resume(_ name: String) async throws {
        _ = try guest(name, action: "resume", allowed: { $0 == .paused }) { _ in () }
        setState(name, .running)
    }

    public func restart(_ name: String) async throws {
        _ = try guest(name, action: "restart", allowed: { $0 == .running || $0 == .paused }) { _ in () }
        update(name) { g in
            g.heartbeat?.cancel()
            g.heartbeats = 0
            g.editor = FakeLineEditor()
            g.instance.state = .running
        }
        if let i = try? await instance(named: name) { emit(.instanceChanged(i)) }
        boot(name)
    }

    public func remove(_ name: String, force: Bool) async throws {
        let active = try guest(name, action: "remove", allowed: { _ in true }) { $0.instance.state.isActive }
        if active {
            guard force else {
                throw UnitopError.invalidState(name: name, state: try await instance(named: name).state, action: "remove")
            }
            end(name, state: .stopped, code: nil, reason: "removed")
        }
        let id = InstanceID(backend: kind, host: host, name: name)
        state.withLock { _ = $0.guests.removeValue(forKey: name) }
        emit(.instanceRemoved(id))
    }

    // MARK: - Console

    public func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        let (stream, cont) = AsyncThrowingStream<[UInt8], Error>.makeStream()
        let id: UInt64? = state.withLock { s in
            guard var g = s.guests[name] else {
                cont.finish(throwing: UnitopError.instanceNotFound(name))
                return nil
            }
            let past: ArraySlice<UInt8>
            switch history {
            case .all: past = g.history[...]
            case .tail(let n): past = g.history.suffix(max(0, n))
            case .none: past = []
            }
            if !past.isEmpty { cont.yield(Array(past)) }
            guard follow, g.instance.state.isActive else { cont.finish(); return nil }
            let id = s.nextID
            s.nextID += 1
            g.followers[id] = cont
            s.guests[name] = g
            return id
        }
        if let id {
            cont.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.guests[name]?.followers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    public func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws {
        let answer = try state.withLock { s throws(UnitopError) -> [UInt8] in
            guard var g = s.guests[name] else { throw .instanceNotFound(name) }
            guard g.instance.state.isActive else { throw .invalidState(name: name, state: g.instance.state, action: "send input to") }
            let out = g.program.program == .hello ? g.editor.feed(bytes) : []
            s.guests[name] = g
            return out
        }
        output(name, answer)
    }

    // MARK: - Events

    public func events() -> AsyncStream<BackendEvent> {
        let (stream, cont) = AsyncStream<BackendEvent>.makeStream()
        let id: UInt64 = state.withLock { s in
            for g in s.guests.values.sorted(by: { $0.instance.name < $1.instance.name }) { cont.yield(.instanceChanged(g.instance)) }
            if s.closed { cont.finish() }
            let id = s.nextID
            s.nextID += 1
            s.subscribers[id] = cont
            return id
        }
        cont.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    public func close() {
        let (subs, followers, tasks) = state.withLock { s in
            s.closed = true
            let subs = Array(s.subscribers.values)
            s.subscribers.removeAll()
            var followers: [AsyncThrowingStream<[UInt8], Error>.Continuation] = []
            var tasks: [Task<Void, Never>] = []
            for (name, var g) in s.guests {
                followers += g.followers.values
                g.followers.removeAll()
                if let t = g.heartbeat { tasks.append(t) }
                s.guests[name] = g
            }
            return (subs, followers, tasks)
        }
        for t in tasks { t.cancel() }
        for c in followers { c.finish() }
        for c in subs { c.finish() }
    }

    // MARK: - Guest behaviour

    private func boot(_ name: String) {
        guard let program = state.withLock({ $0.guests[name]?.program }) else { return }
        output(name, program.bootOutput)
        if program.program == .exit {
            let outcome = GuestExit.outcome(debugExitValue: program.exitCode)
            end(name, state: outcome.state, code: outcome.exitCode, reason: outcome.reason)
            return
        }
        guard let ms = program.heartbeatMillis else { return }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
                guard let self, !Task.isCancelled else { return }
                self.heartbeat(name)
            }
        }
        update(name) { $0.heartbeat = task }
    }

    private func heartbeat(_ name: String) {
        let n: Int? = state.withLock { s in
            guard var g = s.guests[name], g.instance.state == .running || g.instance.state == .stopping else { return nil }
            g.heartbeats += 1
            s.guests[name] = g
            return g.heartbeats
        }
        if let n { output(name, Array("heartbeat \(n)\r\n".utf8)) }
    }

    /// Appends to the history and hands the same bytes to every live follower, under one lock so
    /// a follower that joins meanwhile sees them either in its history or live, never both.
    private func output(_ name: String, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        state.withLock { s in
            guard var g = s.guests[name] else { return }
            g.history += bytes
            for c in g.followers.values { c.yield(bytes) }
            s.guests[name] = g
        }
    }

    private func end(_ name: String, state newState: InstanceState, code: Int?, reason: String) {
        let (ended, followers): (Instance?, [AsyncThrowingStream<[UInt8], Error>.Continuation]) = state.withLock { s in
            guard var g = s.guests[name], g.instance.state.isActive else { return (nil, []) }
            g.heartbeat?.cancel()
            g.heartbeat = nil
            g.instance.state = newState
            g.instance.exitCode = capabilities.exitCodes ? code : nil
            g.instance.exitReason = reason
            g.instance.stateDetail = reason
            g.instance.stopDeadline = nil
            let followers = Array(g.followers.values)
            g.followers.removeAll()
            s.guests[name] = g
            return (g.instance, followers)
        }
        // Outside the lock: finishing runs each stream's termination handler, which takes it.
        for c in followers { c.finish() }
        if let ended { emit(.instanceChanged(ended)) }
    }

    // MARK: - Helpers

    /// Reads `name` under the lock after checking its state with `allowed`.
    private func guest<T>(_ name: String, action: String, allowed: (InstanceState) -> Bool, _ read: (Guest) -> T) throws(UnitopError) -> T {
        try state.withLock { s throws(UnitopError) -> T in
            guard let g = s.guests[name] else { throw .instanceNotFound(name) }
            guard allowed(g.instance.state) else { throw .invalidState(name: name, state: g.instance.state, action: action) }
            return read(g)
        }
    }

    private func update(_ name: String, _ change: (inout Guest) -> Void) {
        state.withLock { s in
            guard var g = s.guests[name] else { return }
            change(&g)
            s.guests[name] = g
        }
    }

    private func setState(_ name: String, _ new: InstanceState) {
        let inst: Instance? = state.withLock { s in
            guard var g = s.guests[name] else { return nil }
            g.instance.state = new
            s.guests[name] = g
            return g.instance
        }
        if let inst { emit(.instanceChanged(inst)) }
    }

    private func emit(_ event: BackendEvent) {
        state.withLock { s in for c in s.subscribers.values { c.yield(event) } }
    }
}
