import CLibvirt
import Foundation
import Logging
import Models
import Synchronization

/// The libvirt backend for one connection URI, on the libvirt C API.
///
/// Every blocking libvirt call runs on the connection's serial queue (``LibvirtConnection``);
/// C pointers never leave the backend. Domains unitop created carry ``DomainMetadata`` and are
/// `managed`; other domains on the host are listed too (`managed: false`). The host label is
/// ``LibvirtURI/hostLabel`` (`system`, `session`, `test`, or the URI's host name).
///
/// Sendable as checked by the compiler: every stored property is immutable and Sendable; what
/// changes lives in ``state`` (a `Mutex`).
public final class LibvirtBackend: UnikernelBackend, Sendable {
    public let kind = BackendKind.libvirt
    /// Exit codes on this machine (the guest's isa-debugcon file, see ``LibvirtExitLog``); not on
    /// remote hosts, whose files unitop cannot read (QEMU's isa-debug-exit status is lost there).
    public let capabilities: BackendCapabilities
    /// Short label for this connection (see ``LibvirtURI/hostLabel``).
    public let host: String
    public let uri: String
    let parsed: LibvirtURI
    let paths: UnitopPaths
    let config: Config
    let connection: LibvirtConnection
    let hub: LibvirtEventHub
    let cache: MetadataCache
    let sampler = LibvirtStatsSampler()
    let records: LibvirtRecordStore
    /// Content hashes of local files uploaded to hosts (see ``LibvirtBackend/storeOnHost(_:what:)``).
    let hashes: ContentHashCache
    let lifecycle: AsyncStream<LibvirtConnection.Event>.Continuation
    /// Watches the exit files of the domains this process started or shows (see ``LibvirtExitLog``).
    let exitWatcher = LibvirtExitLog.Watcher(hub: ConsoleLogFollower.hub)
    /// The command that runs a readiness probe in its own process (the name is appended), so the
    /// probe outlives `unitop run --detach`; nil: no probe (see ``probeReadiness(_:schedule:)``).
    let readinessProbeCommand: [String]?
    /// Everything that changes (see ``LibvirtBackendState``).
    let state = Mutex(LibvirtBackendState())
    /// Connection losses, reconnections and failures the backend handles without throwing.
    static let log = Logger(label: "unitop.backend.libvirt")

    /// Where console logs and kernel copies go on a system-URI host.
    public static let systemLogDirectory = "/var/log/libvirt/qemu"
    public static let systemImageDirectory = "/var/lib/libvirt/images/unitop"

    /// A weak reference to the backend for callbacks made before `init` ends.
    private final class Relay: Sendable {
        private struct Weak { weak var backend: LibvirtBackend? }
        private let ref = Mutex(Weak())
        var backend: LibvirtBackend? { ref.withLock { $0.backend } }
        func set(_ b: LibvirtBackend) { ref.withLock { $0.backend = b } }
    }

    /// Checks `uri` (throws ``UnitopError/invalidArgument(_:)`` for unsupported schemes), loads
    /// libvirt.so.0 (throws ``UnitopError/failed(_:)`` saying why when it cannot be loaded) and
    /// prepares the connection; it is opened on first use, waiting at most `connectTimeout` seconds.
    /// `readinessProbeCommand`: argv of a detached process that runs ``probeReadiness(_:schedule:)``
    /// for the instance name appended to it (the executable's hidden `__probe-ready` command);
    /// without it, `readyMillis` is measured only when something calls the probe.
    /// `treatAsRemote`: see ``LibvirtURI/init(_:treatAsRemote:)`` (tests of the remote path on a
    /// local daemon of another account).
    public init(uri: String, paths: UnitopPaths, config: Config, connectTimeout: Double = 10,
                readinessProbeCommand: [String]? = nil, treatAsRemote: Bool = false) throws {
        parsed = try LibvirtURI(uri, treatAsRemote: treatAsRemote)
        capabilities = BackendCapabilities(exitCodes: parsed.isThisMachine && !parsed.isTest, bootTime: false, processID: false)
        self.readinessProbeCommand = readinessProbeCommand
        if let why = unitop_vir_load_error() {
            throw UnitopError.failed("libvirt backend unavailable: cannot load \(UNITOP_LIBVIRT_SONAME) (\(String(cString: why)))")
        }
        self.uri = uri
        self.host = parsed.hostLabel
        self.paths = paths
        self.config = config
        records = LibvirtRecordStore(stateDirectory: paths.stateDirectory, uri: uri)
        cache = MetadataCache(file: records.directory + "/" + Self.domainCacheFile)
        hashes = ContentHashCache(file: paths.stateDirectory + "/content-hashes.json")
        let relay = Relay()
        let (events, continuation) = AsyncStream<LibvirtConnection.Event>.makeStream()
        lifecycle = continuation
        connection = LibvirtConnection(uri: uri, connectTimeout: connectTimeout) { continuation.yield($0) }
        hub = LibvirtEventHub { n in relay.backend?.subscribersChanged(n) }
        relay.set(self)
        // One consumer keeps connection and lifecycle events in order.
        Task.detached { [weak relay] in
            for await e in events {
                guard let backend = relay?.backend else { return }
                await backend.handle(e)
            }
        }
    }

    deinit {
        exitWatcher.unwatchAll()
        state.withLock { $0.pollTask?.cancel() }
        hub.finishAll()
        lifecycle.finish()
    }

    /// Closes the connection, ends every subscription and console session.
    public func close() {
        let (task, sessions): (Task<Void, Never>?, [LibvirtConsoleSession]) = state.withLock {
            let t = $0.pollTask; $0.pollTask = nil
            let s = Array($0.consoleSessions.values); $0.consoleSessions.removeAll()
            return (t, s)
        }
        task?.cancel()
        for s in sessions { s.close() }
        exitWatcher.unwatchAll()
        hub.finishAll()
        lifecycle.finish()
        connection.shutdown()
    }

    /// Whether the connection is open now.
    public var isConnected: Bool { connection.isConnected }

    // MARK: - Listing

    public func instances() async throws -> [Instance] {
        var snaps = try await listSnapshots()
        if await finishExitedGuests(snaps) { snaps = try await listSnapshots() }
        var result = snaps.map(makeInstance)
        let liveNames = Set(result.map(\.name))
        state.withLock {
            for name in $0.known.keys where !liveNames.contains(name) { $0.ended.insert(name) }
            $0.known = Dictionary(result.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            $0.listedOnce = true
        }
        // Only the records of domains libvirt no longer lists are read.
        for name in records.names() where !liveNames.contains(name) {
            if let r = records.load(name) { result.append(await settledRecord(r)) }
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
        var snap = try await liveSnapshot(named: name)
        if let s = snap, await finishExitedGuests([s]) {
            snap = try await liveSnapshot(named: name)
            if snap == nil { return nil }
        }
        guard let snap else { return nil }
        var inst = makeInstance(snap)
        if inst.state.isActive, snap.metadata?.workload?.hasLookupableInterface == true {
            let found = await interfaceAddresses(name)
            if !found.isEmpty { inst.addresses = found }
        }
        return inst
    }

    /// The domain's snapshot, nil when libvirt has no such domain.
    func liveSnapshot(named name: String) async throws -> DomainSnapshot? {
        let cache = self.cache
        return try await connection.call { c in
            guard let d = virDomainLookupByName(c, name) else {
                let l = LibvirtErrors.last()
                if LibvirtErrors.isNoDomain(l) { return nil }
                throw UnitopError.failed("cannot find '\(name)': \(l.message)")
            }
            defer { virDomainFree(d) }
            return LibvirtDomains.snapshot(d, cache: cache)
        }
    }

    /// A transient domain vanishes from libvirt a moment before its STOPPED event is handled; if
    /// this process watched it run, wait for that event (at most ``eventGraceSeconds``) so the
    /// record carries the reason this process recorded.
    func settledRecord(_ r: Instance) async -> Instance {
        guard r.state.isActive else { return finishedRecord(r) }
        let watched = connection.isConnected && state.withLock { $0.known[r.name] != nil }
        if watched {
            _ = await waitForEnd(r.name, until: Date().addingTimeInterval(Self.eventGraceSeconds)) { false }
            if let updated = records.load(r.name) { return finishedRecord(updated) }
        }
        return finishedRecord(r)
    }

    /// How long a lookup waits for the end event of a domain that just vanished.
    static let eventGraceSeconds = 3.0

    /// Every domain in one round trip (see ``LibvirtDomains/listAll(_:uri:cache:withStats:)``);
    /// the time it took is published as the host's latency.
    func listSnapshots(withStats: Bool = false) async throws -> [DomainSnapshot] {
        let cache = self.cache, uri = self.uri
        let started = ContinuousClock.now
        let snaps = try await connection.call { c in try LibvirtDomains.listAll(c, uri: uri, cache: cache, withStats: withStats) }
        noteLatency(ContinuousClock.now - started)
        return snaps
    }

    /// Publishes a round trip's duration when the figure shown (``Formatting/millis(_:)``) changes.
    func noteLatency(_ d: Duration) {
        let ms = d.milliseconds
        let shown = Formatting.millis(ms)
        let changed: Bool = state.withLock {
            guard $0.latencyShown != shown else { return false }
            $0.latencyShown = shown
            return true
        }
        if changed { hub.emit(.hostLatency(backend: kind, host: host, milliseconds: ms)) }
    }

    /// The file of ``MetadataCache`` under this URI's state directory.
    static let domainCacheFile = "domains.cache"

    /// libvirt's own log of domain `name` when it is on this machine (root's session domains log
    /// there too).
    func libvirtLogPath(_ name: String) -> String? {
        guard parsed.isThisMachine, !parsed.isTest, (try? InstanceName.validate(name)) != nil else { return nil }
        if parsed.isSession, geteuid() != 0 {
            let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
            return cache + "/libvirt/qemu/log/" + name + ".log"
        }
        return Self.systemLogDirectory + "/" + name + ".log"
    }

    /// A record of one of our transient domains that libvirt no longer knows: if it still says
    /// active, the domain ended while no unitop was watching; libvirt's own log of the domain
    /// says how (read the same way as the STOPPED event, see ``LibvirtEnding``).
    func finishedRecord(_ r: Instance) -> Instance {
        var r = r
        r.host = host
        r.hostURI = uri
        if r.state.isActive {
            if let value = localExitLogPath(r.name).flatMap(LibvirtExitLog.value(at:)) {
                let (st, code, reason) = GuestExit.outcome(debugExitValue: value)
                r.state = st
                r.exitReason = reason
                r.exitCode = code
            } else if let ending = libvirtLogPath(r.name).flatMap(LibvirtEnding.fromLogFile) {
                let (st, reason, code) = ending.outcome(hasExitDevice: hasExitLog(r.name))
                r.state = st
                r.exitReason = reason
                r.exitCode = code
            } else {
                r.state = .stopped
                r.exitReason = "ended while unitop was not connected (libvirt keeps no record of transient domains)"
                r.exitCode = nil
            }
            r.stateDetail = r.exitReason
            r.stopDeadline = nil
        }
        r.stats = nil
        return r
    }

    func makeInstance(_ s: DomainSnapshot) -> Instance {
        var (st, reason) = LibvirtDomainState.map(state: s.state, reason: s.reason)
        let m = s.metadata
        var deadline: Date?
        state.withLock {
            if st.isActive, let d = $0.stopping[s.name] { st = .stopping; deadline = d }
        }
        var exitCode: Int?
        if st == .exited, s.reason == Int32(VIR_DOMAIN_SHUTOFF_SHUTDOWN.rawValue) { exitCode = 0 }
        // A persistent domain that ended through its exit device: the guest's value says how.
        if st.isFinished, m != nil, let value = localExitLogPath(s.name).flatMap(LibvirtExitLog.value(at:)) {
            let o = GuestExit.outcome(debugExitValue: value)
            (st, exitCode, reason) = (o.state, o.exitCode, o.reason)
        } else if st == .exited, s.reason == Int32(VIR_DOMAIN_SHUTOFF_FAILED.rawValue), m?.workload?.exitLogPath != nil {
            (st, reason) = (.crashed, LibvirtEnding.qemuFailedText)
        }
        var inst = Instance(
            name: s.name, backend: kind, host: host, image: m?.image ?? "", state: st,
            stateDetail: reason, stopDeadline: deadline, pid: nil,
            memoryMiB: Int(s.maxMemKiB / 1024), cpus: s.vcpus,
            startedAt: m?.startedAt, bootMillis: nil, exitCode: exitCode,
            exitReason: st.isFinished ? reason : nil,
            stats: st.isActive ? sampler.latest(uuid: s.uuid) : nil,
            accel: m?.accel, machine: m?.machine, append: m?.append, commandLine: nil,
            stateDirectory: nil, consoleLogPath: m?.logPath, managed: m != nil)
        inst.accelNote = m?.accelNote
        inst.hostURI = uri
        inst.readyMillis = s.readyMillis
        m?.workload?.apply(to: &inst)
        if inst.addresses.isEmpty, st.isActive, let cached = cachedAddresses(s.name) { inst.addresses = cached }
        return inst
    }

    func hasEnded(_ name: String) -> Bool { state.withLock { $0.ended.contains(name) } }
}

/// What a ``LibvirtBackend`` remembers and changes (guarded by its `state` mutex).
struct LibvirtBackendState {
    /// Last seen instances by name (live domains, and those that ended while watched).
    var known: [String: Instance] = [:]
    /// Whether ``LibvirtBackend/instances()`` has run once (`known` is complete).
    var listedOnce = false
    /// Names being stopped gracefully by this process, with the escalation deadline.
    var stopping: [String: Date] = [:]
    /// Why a domain is ending when this process ended it (consumed by its stop event).
    var intents: [String: String] = [:]
    /// Names whose current run has ended (console followers finish on it).
    var ended: Set<String> = []
    /// Names whose end event has been handled (record written) by this process.
    var endHandled: Set<String> = []
    /// Waiters for the end of a domain (see ``LibvirtBackend/waitForEnd(_:until:alreadyEnded:)``).
    var endWaiters: [String: [UUID: AsyncStream<Bool>.Continuation]] = [:]
    var consoleSessions: [String: LibvirtConsoleSession] = [:]
    var pollTask: Task<Void, Never>?
    /// Names being started by this process, and those whose start failed; the next end event
    /// of such a name (a start that failed after its domain existed) is not published.
    var abandoned: Set<String> = []
    /// Exit values read from a guest's exit file and not yet consumed by its STOPPED event.
    var guestExits: [String: Int] = [:]
    /// The host latency last published (as shown), see ``LibvirtBackend/noteLatency(_:)``.
    var latencyShown: String?
    /// Local files uploaded to the host by this backend, and files checked for upload.
    var uploads = 0
    var uploadChecks = 0
    /// See ``LibvirtBackend/onUploadStart(_:)``.
    var uploadNotice: (@Sendable (String, String, UInt64) -> Void)?
    /// Guest addresses from libvirt (lease or ARP), with when they were read.
    var addresses: [String: (found: [String], at: Date)] = [:]
}

extension LibvirtBackend: HostURIProviding {}
