import CUnitopSys
import Foundation
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
public final class QEMUBackend: UnikernelBackend, @unchecked Sendable {
    public let kind = BackendKind.qemu
    public let capabilities = BackendCapabilities.all
    public let host = "local"
    public let paths: UnitopPaths
    public let config: Config
    let reader: InstanceReader
    let hub = FileWatchHub()
    let eventCenter: EventCenter

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

    /// Ends the event subscriptions and console streams this backend handed out. (The inotify
    /// thread is shared by ``FileWatchHub``; see there.)
    public func close() {
        eventCenter.finishAll()
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
            _ = try? await control(name, ControlRequest(op: .kill), action: "remove")
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
                try? FileManager.default.removeItem(atPath: gone)
            }
        }
    }

    // MARK: console

    public func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        let files = reader.files(name), reader = self.reader, hub = self.hub
        return AsyncThrowingStream { cont in
            if (try? InstanceName.validate(name)) == nil {
                cont.finish(throwing: UnitopError.instanceNotFound(name))
                return
            }
            let follower = ConsoleFollower(files: files, reader: reader, hub: hub, continuation: cont)
            cont.onTermination = { _ in hub.perform { follower.cancel() } }
            hub.perform { follower.start(history: history, follow: follow) }
        }
    }

    public func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws {
        let inst = try await instance(named: name)
        guard inst.state.isActive else { throw UnitopError.invalidState(name: name, state: inst.state, action: "send input to") }
        let socket = reader.files(name).consoleSocket
        do {
            try await offPool { try MonitorClient.sendConsole(socket, bytes) }
        } catch {
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
    func waitUntilFinished(_ name: String, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let inst = try await instance(named: name)
            if inst.state.isFinished { return }
            if Date() >= deadline { throw UnitopError.timeout("'\(name)' did not stop within \(Int(timeout))s") }
            try await Task.sleep(nanoseconds: 20_000_000)
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
