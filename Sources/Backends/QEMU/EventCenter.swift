import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Models
import QEMUMonitor

/// Turns file changes in the state directory into ``BackendEvent``s for any number of
/// subscribers, and samples CPU/RSS of running instances about once a second while at least
/// one subscriber exists and some instance runs. Runs on the ``FileWatchHub`` thread; with no
/// subscribers it holds no watches, and with nothing running no timer.
///
/// Sampling keeps each running QEMU's `/proc/PID/stat` and `/proc/PID/statm` open and re-reads
/// them with one `pread` each per tick, instead of opening, reading and closing both every second.
final class EventCenter: @unchecked Sendable {
    let reader: InstanceReader
    let hub: FileWatchHub
    private var subscribers: [Int: AsyncStream<BackendEvent>.Continuation] = [:]
    private var nextId = 1
    private var rootWatch: FileWatchHub.Token?
    private var dirWatches: [String: FileWatchHub.Token] = [:]
    private var monitorWatches: [String: FileWatchHub.Token] = [:]
    private var ticker: FileWatchHub.Token?
    private var known: [String: Instance] = [:]
    private var cpuSamples: [String: (ticks: UInt64, at: ContinuousClock.Instant)] = [:]
    /// Open `/proc/PID/stat` and `statm` descriptors by instance name (at most
    /// ``maxOpenStatFiles`` instances).
    private var statFiles: [String: ProcFiles] = [:]
    private var statBuffer = [UInt8](repeating: 0, count: 4096)
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

    /// A new independent subscription.
    func subscribe() -> AsyncStream<BackendEvent> {
        AsyncStream(bufferingPolicy: .bufferingNewest(4096)) { cont in
            hub.perform { [self] in
                let id = nextId; nextId += 1
                subscribers[id] = cont
                if subscribers.count == 1 { activate() } else {
                    for inst in known.values.sorted(by: { $0.name < $1.name }) { cont.yield(.instanceChanged(inst)) }
                }
                cont.onTermination = { [self] _ in hub.perform { [self] in unsubscribe(id) } }
            }
        }
    }

    /// Finishes every subscription (each one's termination then unsubscribes it).
    func finishAll() {
        hub.perform { [self] in
            for c in subscribers.values { c.finish() }
        }
    }

    private func unsubscribe(_ id: Int) {
        subscribers.removeValue(forKey: id)
        if subscribers.isEmpty { deactivate() }
    }

    private func emit(_ e: BackendEvent) {
        for c in subscribers.values { c.yield(e) }
    }

    private func activate() {
        try? FileIO.makeDirectory(reader.instancesDirectory)
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)
        rootWatch = hub.addWatch(path: reader.instancesDirectory, mask: mask) { [self] m, name in
            if name.isEmpty { return rescan() }
            if m & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 { removed(name) } else { refresh(name) }
        }
        rescan()
        updateTicker()
    }

    /// Samples once a second while some instance is active; no timer otherwise.
    private func updateTicker() {
        let wanted = !subscribers.isEmpty && known.values.contains { $0.state.isActive }
        if wanted, ticker == nil {
            ticker = hub.addTicker { [self] in sampleStats() }
        } else if !wanted, let t = ticker {
            hub.removeTicker(t)
            ticker = nil
            for f in statFiles.values { f.close() }
            statFiles.removeAll(); cpuSamples.removeAll()
        }
    }

    private func deactivate() {
        if let t = rootWatch { hub.removeWatch(t) }
        rootWatch = nil
        for t in dirWatches.values { hub.removeWatch(t) }
        for t in monitorWatches.values { hub.removeProcess(t) }
        dirWatches.removeAll(); monitorWatches.removeAll()
        if let t = ticker { hub.removeTicker(t) }
        ticker = nil
        known.removeAll(); cpuSamples.removeAll()
        for f in statFiles.values { f.close() }
        statFiles.removeAll()
    }

    private func rescan() {
        let names = Set(reader.names())
        for n in known.keys where !names.contains(n) { removed(n) }
        for n in names.sorted() { refresh(n) }
    }

    /// Re-reads one instance and emits it if it changed.
    private func refresh(_ name: String) {
        guard (try? InstanceName.validate(name)) != nil else { return }
        let f = reader.files(name)
        if dirWatches[name] == nil {
            let mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE)
            dirWatches[name] = hub.addWatch(path: f.directory, mask: mask) { [self] m, file in
                if m & UInt32(IN_IGNORED) != 0 { dirWatches.removeValue(forKey: name); return }
                if file == "status.json" || file == "exit.json" || file == "spec.json" || file == "monitor.pid" || file.isEmpty {
                    refresh(name)
                }
            }
        }
        guard var inst = reader.read(name) else { return }
        if inst.state.isActive, monitorWatches[name] == nil, let m = reader.monitorPid(f) {
            monitorWatches[name] = hub.addProcess(pid: m.pid) { [self] in
                monitorWatches.removeValue(forKey: name)
                refresh(name)
            }
        }
        inst.stats = known[name]?.stats
        if known[name] != inst {
            known[name] = inst
            emit(.instanceChanged(inst))
            if ticker == nil || !inst.state.isActive { updateTicker() }
        }
    }

    private func removed(_ name: String) {
        if let t = dirWatches.removeValue(forKey: name) { hub.removeWatch(t) }
        if let t = monitorWatches.removeValue(forKey: name) { hub.removeProcess(t) }
        cpuSamples.removeValue(forKey: name)
        if let f = statFiles.removeValue(forKey: name) { f.close() }
        if known.removeValue(forKey: name) != nil {
            updateTicker()
            emit(.instanceRemoved(InstanceID(backend: .qemu, host: "local", name: name)))
        }
    }

    private func sampleStats() {
        let now = ContinuousClock.now
        var batch: [InstanceID: InstanceStats] = [:]
        for (name, inst) in known where inst.state.isActive {
            guard let pid = inst.pid, let st = readStat(name, pid: pid) else { continue }
            var cpu = 0.0
            if let prev = cpuSamples[name], st.cpuTicks >= prev.ticks {
                let dt = now - prev.at
                let secs = Double(dt.components.seconds) + Double(dt.components.attoseconds) / 1e18
                if secs > 0 { cpu = Double(st.cpuTicks - prev.ticks) / Self.clockTicksPerSecond / secs * 100 }
            }
            cpuSamples[name] = (st.cpuTicks, now)
            let stats = InstanceStats(cpuPercent: (cpu * 10).rounded() / 10, rssBytes: st.rssPages.map { $0 * Self.pageSize })
            known[name]?.stats = stats
            batch[inst.id] = stats
        }
        for (name, f) in statFiles where known[name]?.state.isActive != true {
            f.close()
            statFiles[name] = nil
        }
        if !batch.isEmpty { emit(.statsBatch(batch)) }
    }

    /// CPU ticks (utime + stime, `/proc/PID/stat`) and resident pages (`/proc/PID/statm`, nil
    /// when unreadable) of `pid`, the files kept open between ticks. A descriptor stays bound to
    /// the process it was opened for, so a reused pid is never read through it: reads fail once
    /// that process is gone.
    private func readStat(_ name: String, pid: Int32) -> (cpuTicks: UInt64, rssPages: UInt64?)? {
        if let f = statFiles[name], f.pid != pid {
            f.close()
            statFiles[name] = nil
        }
        var files = statFiles[name]
        var keep = files != nil
        if files == nil {
            let stat = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
            guard stat >= 0 else { return nil }
            files = ProcFiles(pid: pid, stat: stat, statm: open("/proc/\(pid)/statm", O_RDONLY | O_CLOEXEC))
            if statFiles.count < Self.maxOpenStatFiles {
                statFiles[name] = files
                keep = true
            }
        }
        guard let f = files else { return nil }
        var cpu: UInt64?
        var rss: UInt64?
        var n = statBuffer.withUnsafeMutableBytes { pread(f.stat, $0.baseAddress, $0.count, 0) }
        if n > 0 { cpu = ProcStat.parse(Array(statBuffer[0..<n]))?.cpuTicks }
        if cpu != nil, f.statm >= 0 {
            n = statBuffer.withUnsafeMutableBytes { pread(f.statm, $0.baseAddress, $0.count, 0) }
            if n > 0 { rss = ProcStat.residentPages(statm: Array(statBuffer[0..<n])) }
        }
        if cpu == nil && keep {
            statFiles[name] = nil
            keep = false
        }
        if !keep { f.close() }
        return cpu.map { ($0, rss) }
    }
}
