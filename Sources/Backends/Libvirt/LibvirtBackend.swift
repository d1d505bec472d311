import CLibvirt
import Foundation
import Models

/// The libvirt backend for one connection URI, on the libvirt C API.
///
/// Every blocking libvirt call runs on the connection's serial queue (``LibvirtConnection``);
/// C pointers never leave the backend. Domains unitop created carry ``DomainMetadata`` and are
/// `managed`; other domains on the host are listed too (`managed: false`). The host label is
/// ``LibvirtURI/hostLabel`` (`system`, `session`, `test`, or the URI's host name).
public final class LibvirtBackend: UnikernelBackend, @unchecked Sendable {
    public let kind = BackendKind.libvirt
    public let capabilities = BackendCapabilities(exitCodes: false, bootTime: false, processID: false)
    /// Short label for this connection (see ``LibvirtURI/hostLabel``).
    public let host: String
    public let uri: String
    let parsed: LibvirtURI
    let paths: UnitopPaths
    let config: Config
    let connection: LibvirtConnection
    let hub: LibvirtEventHub
    let cache = MetadataCache()
    let sampler = LibvirtStatsSampler()
    let records: LibvirtRecordStore
    let lifecycle: AsyncStream<LibvirtConnection.Event>.Continuation

    let lock = NSLock()
    /// Last seen instances by name (live domains only).
    var known: [String: Instance] = [:]
    /// Names being stopped gracefully by this process, with the escalation deadline.
    var stopping: [String: Date] = [:]
    /// Why a domain is ending when this process ended it (consumed by its stop event).
    var intents: [String: String] = [:]
    /// Names whose current run has ended (console followers finish on it).
    var ended: Set<String> = []
    /// Names whose end event has been handled (record written) by this process.
    var endHandled: Set<String> = []
    var consoleSessions: [String: LibvirtConsoleSession] = [:]
    var pollTask: Task<Void, Never>?
    var kvmCache: Bool?

    /// Where console logs and kernel copies go on a system-URI host.
    public static let systemLogDirectory = "/var/log/libvirt/qemu"
    public static let systemImageDirectory = "/var/lib/libvirt/images/unitop"

    private final class Relay: @unchecked Sendable {
        weak var backend: LibvirtBackend?
    }

    /// Checks `uri` (throws ``UnitopError/invalidArgument(_:)`` for unsupported schemes), loads
    /// libvirt.so.0 (throws ``UnitopError/failed(_:)`` saying why when it cannot be loaded) and
    /// prepares the connection; it is opened on first use, waiting at most `connectTimeout` seconds.
    public init(uri: String, paths: UnitopPaths, config: Config, connectTimeout: Double = 10) throws {
        parsed = try LibvirtURI(uri)
        if let why = unitop_vir_load_error() {
            throw UnitopError.failed("libvirt backend unavailable: cannot load \(UNITOP_LIBVIRT_SONAME) (\(String(cString: why)))")
        }
        self.uri = uri
        self.host = parsed.hostLabel
        self.paths = paths
        self.config = config
        records = LibvirtRecordStore(stateDirectory: paths.stateDirectory, uri: uri)
        let relay = Relay()
        let (events, continuation) = AsyncStream<LibvirtConnection.Event>.makeStream()
        lifecycle = continuation
        connection = LibvirtConnection(uri: uri, connectTimeout: connectTimeout) { continuation.yield($0) }
        hub = LibvirtEventHub { n in relay.backend?.subscribersChanged(n) }
        relay.backend = self
        // One consumer keeps connection and lifecycle events in order.
        Task.detached { [weak relay] in
            for await e in events {
                guard let backend = relay?.backend else { return }
                await backend.handle(e)
            }
        }
    }

    deinit {
        pollTask?.cancel()
        hub.finishAll()
        lifecycle.finish()
    }

    /// Closes the connection, ends every subscription and console session.
    public func close() {
        let (task, sessions): (Task<Void, Never>?, [LibvirtConsoleSession]) = lock.withLock {
            let t = pollTask; pollTask = nil
            let s = Array(consoleSessions.values); consoleSessions.removeAll()
            return (t, s)
        }
        task?.cancel()
        for s in sessions { s.close() }
        hub.finishAll()
        lifecycle.finish()
        connection.shutdown()
    }

    /// Whether the connection is open now.
    public var isConnected: Bool { connection.isConnected }

    // MARK: - Listing

    public func instances() async throws -> [Instance] {
        let snaps = try await listSnapshots()
        var result = snaps.map(makeInstance)
        let liveNames = Set(result.map(\.name))
        lock.withLock {
            for name in known.keys where !liveNames.contains(name) { ended.insert(name) }
            known = Dictionary(result.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        for r in records.all() where !liveNames.contains(r.name) {
            result.append(await settledRecord(r))
        }
        return result.sorted { $0.name < $1.name }
    }

    public func instance(named name: String) async throws -> Instance {
        if let live = try await liveInstance(named: name) { return live }
        if let r = records.load(name) { return await settledRecord(r) }
        throw UnitopError.instanceNotFound(name)
    }

    /// The domain as libvirt knows it now, nil when libvirt has no such domain.
    func liveInstance(named name: String) async throws -> Instance? {
        let cache = self.cache
        let snap: DomainSnapshot? = try await connection.call { c in
            guard let d = virDomainLookupByName(c, name) else {
                let l = LibvirtErrors.last()
                if LibvirtErrors.isNoDomain(l) { return nil }
                throw UnitopError.failed("cannot find '\(name)': \(l.message)")
            }
            defer { virDomainFree(d) }
            return LibvirtDomains.snapshot(d, cache: cache)
        }
        return snap.map(makeInstance)
    }

    /// A transient domain vanishes from libvirt a moment before its STOPPED event is handled; if
    /// this process watched it run, wait briefly (at most ``eventGraceSeconds``) for that event so
    /// the record carries the real end reason.
    func settledRecord(_ r: Instance) async -> Instance {
        guard r.state.isActive else { return finishedRecord(r) }
        let watched = connection.isConnected && lock.withLock { known[r.name] != nil }
        if watched {
            let deadline = Date().addingTimeInterval(Self.eventGraceSeconds)
            while Date() < deadline, !lock.withLock({ endHandled.contains(r.name) }) {
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
            if let updated = records.load(r.name) { return finishedRecord(updated) }
        }
        return finishedRecord(r)
    }

    /// How long a lookup waits for the end event of a domain that just vanished.
    static let eventGraceSeconds = 3.0

    func listSnapshots(withRSS: Bool = false) async throws -> [DomainSnapshot] {
        let cache = self.cache, uri = self.uri
        return try await connection.call { c in try LibvirtDomains.listAll(c, uri: uri, cache: cache, withRSS: withRSS) }
    }

    /// A record of one of our transient domains that libvirt no longer knows: if it still says
    /// active, the domain ended while no unitop was watching.
    func finishedRecord(_ r: Instance) -> Instance {
        var r = r
        r.host = host
        if r.state.isActive {
            r.state = .stopped
            r.exitReason = "ended while unitop was not connected (libvirt keeps no record of transient domains)"
            r.stateDetail = r.exitReason
        }
        r.stats = nil
        return r
    }

    func makeInstance(_ s: DomainSnapshot) -> Instance {
        var (state, reason) = LibvirtDomainState.map(state: s.state, reason: s.reason)
        let m = s.metadata
        var deadline: Date?
        lock.withLock {
            if state.isActive, let d = stopping[s.name] { state = .stopping; deadline = d }
        }
        var exitCode: Int?
        if state == .exited, s.reason == Int32(VIR_DOMAIN_SHUTOFF_SHUTDOWN.rawValue) { exitCode = 0 }
        return Instance(
            name: s.name, backend: kind, host: host, image: m?.image ?? "", state: state,
            stateDetail: reason, stopDeadline: deadline, pid: nil,
            memoryMiB: Int(s.maxMemKiB / 1024), cpus: s.vcpus,
            startedAt: m?.startedAt, bootMillis: nil, exitCode: exitCode,
            exitReason: state.isFinished ? reason : nil,
            stats: state.isActive ? sampler.latest(uuid: s.uuid) : nil,
            accel: m?.accel, machine: m?.machine, append: m?.append, commandLine: nil,
            stateDirectory: nil, consoleLogPath: m?.logPath, managed: m != nil)
    }

    // MARK: - Events

    public func events() -> AsyncStream<BackendEvent> {
        let initial: [BackendEvent] = connection.isConnected ? [.connection(backend: kind, host: host, .connected)] : []
        let stream = hub.subscribe(initial: initial)
        if !connection.isConnected {
            Task { [weak self] in
                guard let self else { return }
                do {
                    try await self.connection.ensureConnected()
                    self.hub.emit(.connection(backend: self.kind, host: self.host, .connected))
                } catch {
                    let message = (error as? UnitopError)?.description ?? "\(error)"
                    self.hub.emit(.connection(backend: self.kind, host: self.host, .disconnected(message: message)))
                    self.connection.reconnectIfDown()
                }
            }
        }
        return stream
    }

    func subscribersChanged(_ n: Int) {
        lock.withLock {
            if n > 0, pollTask == nil {
                pollTask = Task.detached { [weak self] in await self?.pollStats() }
            } else if n == 0, let t = pollTask {
                t.cancel()
                pollTask = nil
            }
        }
    }

    /// About once a second while subscribed: CPU/RSS stats, and state changes missed by events.
    private func pollStats() async {
        while !Task.isCancelled {
            if connection.isConnected, let snaps = try? await listSnapshots(withRSS: true) {
                let stats = sampler.sample(snaps, nowNs: LibvirtStatsSampler.monotonicNs())
                var batch: [InstanceID: InstanceStats] = [:]
                for (name, st) in stats { batch[InstanceID(backend: kind, host: host, name: name)] = st }
                if !batch.isEmpty { hub.emit(.statsBatch(batch)) }
                for s in snaps {
                    let inst = makeInstance(s)
                    let changed: Bool = lock.withLock {
                        // A sample taken just before the end event was handled must not revive it.
                        if inst.state.isActive, ended.contains(s.name) { return false }
                        let old = known[s.name]
                        known[s.name] = inst
                        return old == nil || old?.state != inst.state
                    }
                    if changed { hub.emit(.instanceChanged(inst)) }
                }
            }
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    func handle(_ event: LibvirtConnection.Event) async {
        switch event {
        case .disconnected(let message):
            hub.emit(.connection(backend: kind, host: host, .disconnected(message: message)))
        case .connected:
            hub.emit(.connection(backend: kind, host: host, .connected))
            await refreshAfterReconnect()
        case .lifecycle(let name, let event, let detail):
            await handleLifecycle(name: name, event: event, detail: detail)
        }
    }

    /// After a reconnection: fresh state of every domain; those gone meanwhile are marked ended.
    private func refreshAfterReconnect() async {
        let before: [String: Instance] = lock.withLock { known }
        guard let list = try? await instances() else { return }
        let names = Set(list.map(\.name))
        for inst in list { hub.emit(.instanceChanged(inst)) }
        for (name, old) in before where !names.contains(name) && old.state.isActive {
            var gone = old
            gone.state = .stopped
            gone.exitReason = "ended while the connection to libvirtd was lost"
            gone.stats = nil
            if gone.managed { records.save(gone) }
            hub.emit(.instanceChanged(gone))
        }
    }

    private func handleLifecycle(name: String, event: Int32, detail: Int32) async {
        if LibvirtDomainState.isUndefined(event: event) {
            let stillThere = ((try? await liveInstance(named: name)) ?? nil) != nil
            if !stillThere { hub.emit(.instanceRemoved(InstanceID(backend: kind, host: host, name: name))) }
            return
        }
        guard let (evState, evReason) = LibvirtDomainState.fromEvent(event: event, detail: detail) else { return }
        let isEnd = LibvirtDomainState.isStopped(event: event)
        if !isEnd {
            if event == Int32(VIR_DOMAIN_EVENT_STARTED.rawValue) {
                lock.withLock {
                    ended.remove(name)
                    endHandled.remove(name)
                }
            }
            if let fresh = (try? await liveInstance(named: name)) ?? nil {
                lock.withLock { known[name] = fresh }
                hub.emit(.instanceChanged(fresh))
            }
            return
        }
        // The stop half of a restart: not an end.
        let restarting: Bool = lock.withLock {
            guard intents[name] == Self.restartIntent else { return false }
            intents.removeValue(forKey: name)
            return true
        }
        if restarting { return }
        // Ended: a transient domain is already gone from libvirt, so build from what we knew.
        let (intent, last, session): (String?, Instance?, LibvirtConsoleSession?) = lock.withLock {
            ended.insert(name)
            stopping.removeValue(forKey: name)
            return (intents.removeValue(forKey: name), known[name], consoleSessions.removeValue(forKey: name))
        }
        session?.close()
        var final: Instance
        if let fresh = try? await liveInstance(named: name), !fresh.state.isActive {
            final = fresh
        } else if let last {
            final = last
        } else if let r = records.load(name) {
            final = r
        } else {
            final = Instance(name: name, backend: kind, host: host, image: "", state: evState, memoryMiB: 0, cpus: 0, managed: false)
        }
        final.state = evState
        final.exitReason = evReason
        final.stateDetail = evReason
        final.exitCode = evState == .exited && detail == Int32(VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN.rawValue) ? 0 : nil
        final.stopDeadline = nil
        final.stats = nil
        if let intent {
            final.state = .stopped
            final.exitReason = intent
            final.stateDetail = intent
            final.exitCode = nil
        }
        if final.managed, records.load(name) != nil { records.save(final) }
        lock.withLock {
            known[name] = final
            endHandled.insert(name)
        }
        hub.emit(.instanceChanged(final))
    }

    func hasEnded(_ name: String) -> Bool { lock.withLock { ended.contains(name) } }
}
