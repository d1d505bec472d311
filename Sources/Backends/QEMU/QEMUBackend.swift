import CUnitopSys
import Foundation
import Logging
import Models
import QEMUMonitor
#if canImport(Glibc)
import Glibc
#endif

/// The embedded QEMU backend: every instance is a QEMU process owned by its own
/// `unitop-monitor` supervisor, with its state in `$STATE/instances/NAME/`.
///
/// No daemon: listing reads state files; actions talk to the instance's monitor over its
/// control socket; console and events are driven by inotify on one shared thread.
public final class QEMUBackend: UnikernelBackend, Sendable {
    public let kind = BackendKind.qemu
    public let capabilities = BackendCapabilities.all
    public let host = HostLabel.local
    public let paths: UnitopPaths
    public let config: Config
    let reader: InstanceReader
    let hub = FileWatchHub(threadName: "unitop-qemu-watch")
    let eventCenter: EventCenter
    /// The console streams handed out and not ended yet (``close()`` ends them).
    let consoleStreams = ClosingRegistry()
    /// Failures this backend handles itself (a retry, a fallback) but should leave a trace of.
    static let log = Logger(label: "unitop.backend.qemu")

    /// How long a graceful stop may take beyond its timeout (quit, SIGTERM, SIGKILL steps).
    static let stopEscalationSlackSeconds = 15.0
    /// Longest startup report read from the monitor.
    static let maxReportBytes = 64 << 10

    public init(paths: UnitopPaths, config: Config) throws {
        self.paths = paths
        self.config = config
        reader = InstanceReader(stateDirectory: paths.stateDirectory, runtimeDirectory: paths.runtimeDirectory)
        eventCenter = EventCenter(reader: reader, hub: hub)
        // Refuse state or sockets someone else could have planted or can still change.
        for (dir, sticky) in Self.ownDirectories(paths) { try SecureDirectory.checkIfExists(dir, allowSticky: sticky) }
    }

    /// The directories this backend owns: state, instances, the runtime base (which may be a
    /// shared sticky directory such as /tmp) and the runtime directory holding the sockets.
    static func ownDirectories(_ paths: UnitopPaths) -> [(path: String, allowSticky: Bool)] {
        [(paths.stateDirectory, false), (paths.stateDirectory + "/instances", false),
         ((paths.runtimeDirectory as NSString).deletingLastPathComponent, true), (paths.runtimeDirectory, false)]
    }

    /// Creates the backend's directories (0700) and checks them (see ``SecureDirectory``).
    static func prepareDirectories(_ paths: UnitopPaths) throws {
        for (dir, sticky) in ownDirectories(paths) { try SecureDirectory.prepare(dir, allowSticky: sticky) }
    }

    /// Ends the event subscriptions and console streams this backend handed out, and its
    /// inotify thread (with its descriptors). Later console streams and subscriptions end at once.
    public func close() {
        consoleStreams.closeAll()
        eventCenter.finishAll()
        hub.close()
    }

    // MARK: listing

    public func instances() async throws -> [Instance] {
        let r = reader
        return try await offPool { r.names().compactMap { r.read($0) } }
    }

    public func instance(named name: String) async throws -> Instance {
        try InstanceName.validate(name)
        let r = reader
        return try await offPool {
            guard let i = r.read(name) else { throw UnitopError.instanceNotFound(name) }
            return i
        }
    }

    // MARK: start

    public func start(_ spec: LaunchSpec) async throws -> Instance {
        try InstanceName.validate(spec.name)
        let launcher = InstanceLauncher(paths: paths, config: config, reader: reader)
        try await offPool { try launcher.launch(spec) }
        return try await instance(named: spec.name)
    }

    // MARK: actions

    public func stop(_ name: String, timeoutSeconds: Double) async throws {
        let inst = try await instance(named: name)
        guard inst.state.isActive else { throw UnitopError.invalidState(name: name, state: inst.state, action: "stop") }
        try await control(name, ControlRequest(op: .stop, timeout: timeoutSeconds), action: "stop")
        try await waitUntilFinished(name, timeout: timeoutSeconds + Self.stopEscalationSlackSeconds)
    }

    public func kill(_ name: String) async throws {
        let inst = try await instance(named: name)
        guard inst.state.isActive else { throw UnitopError.invalidState(name: name, state: inst.state, action: "kill") }
        do {
            try await control(name, ControlRequest(op: .kill), action: "kill")
        } catch let e as UnitopError {
            // The monitor may have gone meanwhile; re-read decides.
            let now = try await instance(named: name)
            if now.state.isActive { throw e }
            Self.log.info("kill: the monitor did not take the request; the instance had ended",
                          metadata: ["instance": "\(name)", "error": "\(e)", "state": "\(now.state)"])
            return
        }
        try await waitUntilFinished(name, timeout: Self.stopEscalationSlackSeconds)
    }

    public func pause(_ name: String) async throws {
        try await requireState(name, [.running], action: "pause")
        try await control(name, ControlRequest(op: .pause), action: "pause")
    }

    public func resume(_ name: String) async throws {
        try await requireState(name, [.paused], action: "resume")
        try await control(name, ControlRequest(op: .resume), action: "resume")
    }

    public func restart(_ name: String) async throws {
        try await requireState(name, [.running, .paused], action: "restart")
        try await control(name, ControlRequest(op: .restart), action: "restart")
    }

    public func remove(_ name: String, force: Bool) async throws {
        var inst = try await instance(named: name)
        if inst.state.isActive {
            guard force else { throw UnitopError.invalidState(name: name, state: inst.state, action: "remove") }
            do {
                try await control(name, ControlRequest(op: .kill), action: "remove")
            } catch {
                // The monitor may have ended meanwhile; waiting for the end below decides.
                Self.log.info("remove --force: kill request failed", metadata: ["instance": "\(name)", "error": "\(error)"])
            }
            try await waitUntilFinished(name, timeout: Self.stopEscalationSlackSeconds)
            inst = try await instance(named: name)
        }
        let paths = self.paths, files = reader.files(name), reader = self.reader
        try await offPool {
            // A broken instance (unreadable spec) may still have live processes: end them too.
            for p in [reader.monitorPid(files), reader.qemuPid(files)] {
                if let p, p.isAlive { _ = Glibc.kill(p.pid, SIGKILL) }
            }
            try StateLock.withLock(stateDirectory: paths.stateDirectory) {
                // A leading dot keeps the doomed directory out of listings (not a valid name).
                let gone = paths.stateDirectory + "/instances/.removing-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                // Rename first so nobody sees a half-deleted instance.
                guard rename(files.directory, gone) == 0 else {
                    throw UnitopError.io(path: files.directory, message: String(cString: strerror(errno)))
                }
                for s in files.sockets { unlink(s) }
                do { try FileManager.default.removeItem(atPath: gone) } catch {
                    Self.log.warning("cannot delete a removed instance's files", metadata: ["path": "\(gone)", "error": "\(error)"])
                }
            }
        }
    }

    // MARK: console

    /// The console of `name`: `history`, then (when `follow`) live output until the instance
    /// ends. The stream holds at most ``ConsoleChunkChannel/defaultCapacityBytes``: a consumer
    /// that falls behind is served from the log later, so nothing is lost and memory stays bounded.
    public func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        console(name, history: history, follow: follow, through: ConsoleChunkChannel())
    }

    /// ``console(_:history:follow:)`` through a given channel (tests read its high-water mark).
    func console(_ name: String, history: ConsoleHistory, follow: Bool, through channel: ConsoleChunkChannel) -> AsyncThrowingStream<[UInt8], Error> {
        let stream = channel.stream()
        guard (try? InstanceName.validate(name)) != nil else {
            channel.finish(throwing: UnitopError.instanceNotFound(name))
            return stream
        }
        let follower = ConsoleFollower(files: reader.files(name), reader: reader, hub: hub, channel: channel)
        guard let token = consoleStreams.add({ follower.finish(nil) }) else {
            follower.finish(nil)
            return stream
        }
        let streams = consoleStreams
        hub.perform {
            follower.start(history: history, follow: follow) { streams.remove(token) }
        }
        return stream
    }

    public func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws {
        let inst = try await instance(named: name)
        guard inst.state.isActive else { throw UnitopError.invalidState(name: name, state: inst.state, action: "send input to") }
        let socket = reader.files(name).consoleSocket
        do {
            try await offPool { try MonitorClient.sendConsole(socket, bytes) }
        } catch {
            Self.log.warning("console input not delivered", metadata: ["instance": "\(name)", "error": "\(error)"])
            throw UnitopError.failed("cannot send input to '\(name)': its monitor is not reachable")
        }
    }

    public func events() -> AsyncStream<BackendEvent> { eventCenter.subscribe() }

    // MARK: helpers

    func requireState(_ name: String, _ states: Set<InstanceState>, action: String) async throws {
        let inst = try await instance(named: name)
        guard states.contains(inst.state) else { throw UnitopError.invalidState(name: name, state: inst.state, action: action) }
    }

    /// Sends a request to the instance's monitor; a refusal becomes a ``UnitopError``.
    @discardableResult
    func control(_ name: String, _ req: ControlRequest, action: String) async throws -> ControlReply {
        if let format = reader.newerFormat(name) {
            throw UnitopError.failed("cannot \(action) '\(name)': it was \(StateFormat.newerMessage(format))")
        }
        let socket = reader.files(name).controlSocket
        let reply: ControlReply
        do {
            reply = try await offPool { try MonitorClient.request(socket, req) }
        } catch {
            let inst = try await instance(named: name)
            if !inst.state.isActive { throw UnitopError.invalidState(name: name, state: inst.state, action: action) }
            throw UnitopError.failed("cannot \(action) '\(name)': its monitor did not answer (\(error))")
        }
        guard reply.ok else {
            if let s = reply.status?.state, reply.error?.hasPrefix("cannot") == true {
                throw UnitopError.invalidState(name: name, state: s, action: action)
            }
            throw UnitopError.failed("cannot \(action) '\(name)': \(reply.error ?? "refused")")
        }
        return reply
    }

    /// Waits until the instance has ended (exit record written), up to `timeout` seconds.
    /// Woken by changes in the instance's directory and by its monitor's exit (no polling).
    func waitUntilFinished(_ name: String, timeout: Double) async throws {
        let (changes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let files = reader.files(name)
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
        let watch = hub.addWatch(path: files.directory, mask: mask) { _, _ in wake.yield() }
        let monitor = reader.monitorPid(files).flatMap { m in hub.addProcess(pid: m.pid) { wake.yield() } }
        let timer = hub.addTimer(after: .milliseconds(Int64(max(0, timeout) * 1000))) { wake.yield() }
        defer {
            if let watch { hub.removeWatch(watch) }
            if let monitor { hub.removeProcess(monitor) }
            if let timer { hub.removeTimer(timer) }
            wake.finish()
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, timeout) * 1000))
        var wakeUps = changes.makeAsyncIterator()
        while true {
            let inst = try await instance(named: name)
            if inst.state.isFinished { return }
            if ContinuousClock.now >= deadline { throw UnitopError.timeout("'\(name)' did not stop within \(Int(timeout))s") }
            // Without a watch (hub closed) or a timer there is nothing to wake this: give up.
            guard watch != nil, timer != nil else {
                Self.log.warning("cannot watch an instance's end", metadata: ["instance": "\(name)"])
                throw UnitopError.timeout("'\(name)' did not stop within \(Int(timeout))s")
            }
            guard await wakeUps.next() != nil else { throw CancellationError() }
        }
    }
}

extension QEMUBackend: ConsoleLogFiles {
    /// `console.log.1` and `console.log` in the instance's directory, when it has a launch spec.
    public func consoleLogPaths(of name: String) -> ConsoleLogPaths? {
        guard (try? InstanceName.validate(name)) != nil else { return nil }
        let files = reader.files(name)
        guard access(files.spec, F_OK) == 0 else { return nil }
        return ConsoleLogPaths(previous: files.consoleLogPrevious, current: files.consoleLog)
    }
}
