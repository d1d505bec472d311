import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Models
import QEMUMonitor
import Synchronization

/// Turns file changes in the state directory into ``BackendEvent``s for any number of
/// subscribers, and samples CPU/RSS of running instances about once a second while at least
/// one subscriber exists and some instance runs. Runs on the ``FileWatchHub`` thread; with no
/// subscribers it holds no watches, and with nothing running no timer.
///
/// Sampling keeps each running QEMU's `/proc/PID/stat` and `/proc/PID/statm` open and re-reads
/// them with one `pread` each per tick, instead of opening, reading and closing both every second.
final class EventCenter: Sendable {
    let reader: InstanceReader
    let hub: FileWatchHub

    /// Everything the center knows, behind one lock (taken by the hub thread's handlers and by
    /// subscribe/unsubscribe on any thread).
    private struct State {
        var subscribers: [Int: AsyncStream<BackendEvent>.Continuation] = [:]
        var nextId = 1
        var closed = false
        /// Subscriptions that ended before the hub thread registered them.
        var abandoned: Set<Int> = []
        var rootWatch: FileWatchHub.Token?
        var dirWatches: [String: FileWatchHub.Token] = [:]
        var monitorWatches: [String: FileWatchHub.Token] = [:]
        var ticker: FileWatchHub.Token?
        var known: [String: Instance] = [:]
        var cpuSamples: [String: (ticks: UInt64, at: ContinuousClock.Instant)] = [:]
        /// Open `/proc/PID/stat` and `statm` descriptors by instance name (at most
        /// ``maxOpenStatFiles`` instances).
        var statFiles: [String: ProcFiles] = [:]
        var statBuffer = [UInt8](repeating: 0, count: 4096)
    }

    private let state = Mutex(State())
    /// Instances beyond this many are sampled with open/read/close each tick.
    static let maxOpenStatFiles = 128

    private struct ProcFiles {
        var pid: Int32
        var stat: Int32
        var statm: Int32
        func close() { _ = Glibc.close(stat); _ = Glibc.close(statm) }
    }

    static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    init(reader: InstanceReader, hub: FileWatchHub) {
        self.reader = reader; self.hub = hub
    }

    /// A new independent subscription: the current instances first, then changes. Ends at once
    /// after ``finishAll()``.
    func subscribe() -> AsyncStream<BackendEvent> {
        AsyncStream(bufferingPolicy: .bufferingNewest(4096)) { cont in
            let id: Int? = state.withLock { s in
                guard !s.closed else { return nil }
                defer { s.nextId += 1 }
                return s.nextId
            }
            guard let id else { return cont.finish() }
            cont.onTermination = { [self] _ in unsubscribe(id) }
            hub.perform { [self] in
                state.withLock { s in
                    guard !s.closed, s.abandoned.remove(id) == nil else { return }
                    s.subscribers[id] = cont
                    if s.subscribers.count == 1 { activate(&s) } else {
                        for inst in s.known.values.sorted(by: { $0.name < $1.name }) { cont.yield(.instanceChanged(inst)) }
                    }
                }
            }
        }
    }

    /// Finishes every subscription and releases the watches, timers and open `/proc` files;
    /// later subscriptions end at once.
    func finishAll() {
        let ending: [AsyncStream<BackendEvent>.Continuation] = state.withLock { s in
            s.closed = true
            defer { s.subscribers.removeAll(); deactivate(&s) }
            return Array(s.subscribers.values)
        }
        // Outside the lock: finishing runs each stream's termination handler (unsubscribe).
        for c in ending { c.finish() }
    }

    private func unsubscribe(_ id: Int) {
        state.withLock { s in
            guard s.subscribers.removeValue(forKey: id) != nil else {
                if !s.closed { s.abandoned.insert(id) }
                return
            }
            if s.subscribers.isEmpty { deactivate(&s) }
        }
    }

    private func emit(_ s: inout State, _ e: BackendEvent) {
        for c in s.subscribers.values { c.yield(e) }
    }

    /// Runs `body` on the state from a hub handler.
    private func locked(_ body: (EventCenter, inout State) -> Void) {
        state.withLock { s in
            guard !s.subscribers.isEmpty else { return }
            body(self, &s)
        }
    }

    private func activate(_ s: inout State) {
        do { try FileIO.makeDirectory(reader.instancesDirectory) } catch {
            QEMUBackend.log.warning("cannot create the instances directory", metadata: ["error": "\(error)"])
        }
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)
        s.rootWatch = hub.addWatch(path: reader.instancesDirectory, mask: mask) { [self] m, name in
            locked { center, s in
                if name.isEmpty { return center.rescan(&s) }
                if m & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 { center.removed(&s, name) } else { center.refresh(&s, name) }
            }
        }
        if s.rootWatch == nil {
            QEMUBackend.log.warning("cannot watch the instances directory; events will be missed", metadata: ["path": "\(reader.instancesDirectory)"])
        }
        rescan(&s)
        updateTicker(&s)
    }

    /// Samples once a second while some instance is active; no timer otherwise.
    private func updateTicker(_ s: inout State) {
        let wanted = !s.subscribers.isEmpty && s.known.values.contains { $0.state.isActive }
        if wanted, s.ticker == nil {
            s.ticker = hub.addTicker { [self] in locked { center, s in center.sampleStats(&s) } }
        } else if !wanted, let t = s.ticker {
            hub.removeTimer(t)
            s.ticker = nil
            for f in s.statFiles.values { f.close() }
            s.statFiles.removeAll(); s.cpuSamples.removeAll()
        }
    }

    private func deactivate(_ s: inout State) {
        if let t = s.rootWatch { hub.removeWatch(t) }
        s.rootWatch = nil
        for t in s.dirWatches.values { hub.removeWatch(t) }
        for t in s.monitorWatches.values { hub.removeProcess(t) }
        s.dirWatches.removeAll(); s.monitorWatches.removeAll()
        if let t = s.ticker { hub.removeTimer(t) }
        s.ticker = nil
        s.known.removeAll(); s.cpuSamples.removeAll()
        for f in s.statFiles.values { f.close() }
        s.statFiles.removeAll()
    }

    private func rescan(_ s: inout State) {
        let names = Set(reader.names())
        for n in s.known.keys where !names.contains(n) { removed(&s, n) }
        for n in names.sorted() { refresh(&s, n) }
    }

    /// Re-reads one instance and emits it if it changed.
    private func refresh(_ s: inout State, _ name: String) {
        guard (try? InstanceName.validate(name)) != nil else { return }
        let f = reader.files(name)
        if s.dirWatches[name] == nil {
            let mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE)
            s.dirWatches[name] = hub.addWatch(path: f.directory, mask: mask) { [self] m, file in
                locked { center, s in
                    if m & UInt32(IN_IGNORED) != 0 { s.dirWatches.removeValue(forKey: name); return }
                    if file == "status.json" || file == "exit.json" || file == "spec.json" || file == "monitor.pid" || file.isEmpty {
                        center.refresh(&s, name)
                    }
                }
            }
        }
        guard var inst = reader.read(name) else { return }
        if inst.state.isActive, s.monitorWatches[name] == nil, let m = reader.monitorPid(f) {
            s.monitorWatches[name] = hub.addProcess(pid: m.pid) { [self] in
                locked { center, s in
                    s.monitorWatches.removeValue(forKey: name)
                    center.refresh(&s, name)
                }
            }
        }
        inst.stats = s.known[name]?.stats
        if s.known[name] != inst {
            s.known[name] = inst
            emit(&s, .instanceChanged(inst))
            if s.ticker == nil || !inst.state.isActive { updateTicker(&s) }
        }
    }

    private func removed(_ s: inout State, _ name: String) {
        if let t = s.dirWatches.removeValue(forKey: name) { hub.removeWatch(t) }
        if let t = s.monitorWatches.removeValue(forKey: name) { hub.removeProcess(t) }
        s.cpuSamples.removeValue(forKey: name)
        if let f = s.statFiles.removeValue(forKey: name) { f.close() }
        if s.known.removeValue(forKey: name) != nil {
            updateTicker(&s)
            emit(&s, .instanceRemoved(InstanceID(backend: .qemu, host: HostLabel.local, name: name)))
        }
    }

    private func sampleStats(_ s: inout State) {
        let now = ContinuousClock.now
        var batch: [InstanceID: InstanceStats] = [:]
        for (name, inst) in s.known where inst.state.isActive {
            guard let pid = inst.pid, let st = readStat(&s, name, pid: pid) else { continue }
            var cpu = 0.0
            if let prev = s.cpuSamples[name], st.cpuTicks >= prev.ticks {
                let dt = now - prev.at
                let secs = dt.milliseconds / 1000
                if secs > 0 { cpu = Double(st.cpuTicks - prev.ticks) / Self.clockTicksPerSecond / secs * 100 }
            }
            s.cpuSamples[name] = (st.cpuTicks, now)
            let stats = InstanceStats(cpuPercent: (cpu * 10).rounded() / 10, rssBytes: st.rssPages.map { $0 * Self.pageSize })
            s.known[name]?.stats = stats
            batch[inst.id] = stats
        }
        for (name, f) in s.statFiles where s.known[name]?.state.isActive != true {
            f.close()
            s.statFiles[name] = nil
        }
        if !batch.isEmpty { emit(&s, .statsBatch(batch)) }
    }

    /// CPU ticks (utime + stime, `/proc/PID/stat`) and resident pages (`/proc/PID/statm`, nil
    /// when unreadable) of `pid`, the files kept open between ticks. A descriptor stays bound to
    /// the process it was opened for, so a reused pid is never read through it: reads fail once
    /// that process is gone.
    private func readStat(_ s: inout State, _ name: String, pid: Int32) -> (cpuTicks: UInt64, rssPages: UInt64?)? {
        if let f = s.statFiles[name], f.pid != pid {
            f.close()
            s.statFiles[name] = nil
        }
        var files = s.statFiles[name]
        var keep = files != nil
        if files == nil {
            let stat = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
            guard stat >= 0 else { return nil }
            files = ProcFiles(pid: pid, stat: stat, statm: open("/proc/\(pid)/statm", O_RDONLY | O_CLOEXEC))
            if s.statFiles.count < Self.maxOpenStatFiles {
                s.statFiles[name] = files
                keep = true
            }
        }
        guard let f = files else { return nil }
        var cpu: UInt64?
        var rss: UInt64?
        var n = s.statBuffer.withUnsafeMutableBytes { pread(f.stat, $0.baseAddress, $0.count, 0) }
        if n > 0 { cpu = ProcStat.parse(Array(s.statBuffer[0..<n]))?.cpuTicks }
        if cpu != nil, f.statm >= 0 {
            n = s.statBuffer.withUnsafeMutableBytes { pread(f.statm, $0.baseAddress, $0.count, 0) }
            if n > 0 { rss = ProcStat.residentPages(statm: Array(s.statBuffer[0..<n])) }
        }
        if cpu == nil && keep {
            s.statFiles[name] = nil
            keep = false
        }
        if !keep { f.close() }
        return cpu.map { ($0, rss) }
    }
}
