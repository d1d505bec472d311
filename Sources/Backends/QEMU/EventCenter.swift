import Foundation
import Models
import QEMUMonitor

/// Turns file changes in the state directory into ``BackendEvent``s for any number of
/// subscribers, and samples CPU/RSS of running instances about once a second while at least
/// one subscriber exists. Runs on the ``FileWatchHub`` thread; with no subscribers it holds
/// no watches and no timer.
///
/// Sampling keeps each running QEMU's `/proc/PID/stat` open and re-reads it with one `pread`
/// per tick (CPU ticks and RSS both come from that line), instead of opening, reading and
/// closing `stat` and `statm` every second.
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
    /// Open `/proc/PID/stat` descriptors by instance name (bounded by ``maxOpenStatFiles``).
    private var statFiles: [String: (pid: Int32, fd: Int32)] = [:]
    private var statBuffer = [UInt8](repeating: 0, count: 4096)
    /// Instances beyond this many are sampled with open/read/close each tick.
    static let maxOpenStatFiles = 256

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
        ticker = hub.addTicker { [self] in sampleStats() }
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
        for f in statFiles.values { close(f.fd) }
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
        }
    }

    private func removed(_ name: String) {
        if let t = dirWatches.removeValue(forKey: name) { hub.removeWatch(t) }
        if let t = monitorWatches.removeValue(forKey: name) { hub.removeProcess(t) }
        cpuSamples.removeValue(forKey: name)
        if let f = statFiles.removeValue(forKey: name) { close(f.fd) }
        if known.removeValue(forKey: name) != nil {
            emit(.instanceRemoved(InstanceID(backend: "qemu", host: "local", name: name)))
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
            let stats = InstanceStats(cpuPercent: (cpu * 10).rounded() / 10, rssBytes: st.rssPages * Self.pageSize)
            known[name]?.stats = stats
            batch[inst.id] = stats
        }
        for (name, f) in statFiles where known[name]?.state.isActive != true {
            close(f.fd)
            statFiles[name] = nil
        }
        if !batch.isEmpty { emit(.statsBatch(batch)) }
    }

    /// CPU ticks (utime + stime) and resident pages of `pid`, from its `/proc/PID/stat`, kept
    /// open between ticks. A descriptor stays bound to the process it was opened for, so a reused
    /// pid is never read through it: reads fail once that process is gone.
    private func readStat(_ name: String, pid: Int32) -> (cpuTicks: UInt64, rssPages: UInt64)? {
        if let f = statFiles[name], f.pid != pid {
            close(f.fd)
            statFiles[name] = nil
        }
        var fd = statFiles[name]?.fd ?? -1
        var keep = fd >= 0
        if fd < 0 {
            fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            if statFiles.count < Self.maxOpenStatFiles {
                statFiles[name] = (pid, fd)
                keep = true
            }
        }
        let n = statBuffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let result = n > 0 ? Self.parseStat(statBuffer, count: n) : nil
        if result == nil && keep {
            statFiles[name] = nil
            keep = false
        }
        if !keep { close(fd) }
        return result
    }

    /// Fields 14 + 15 (utime, stime) and 24 (rss, pages) of a `/proc/PID/stat` line. Field 2
    /// (the command) may hold spaces and parentheses: counting starts after its last `)`.
    static func parseStat(_ b: [UInt8], count: Int) -> (cpuTicks: UInt64, rssPages: UInt64)? {
        let n = min(count, b.count)
        guard let close = b[0..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        var field = 2, value: UInt64 = 0, numeric = true
        var utime: UInt64 = 0, stime: UInt64 = 0
        for j in (close + 1)...n {
            let c = j < n ? b[j] : UInt8(ascii: " ")
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\n") {
                switch field {
                case 14: guard numeric else { return nil }; utime = value
                case 15: guard numeric else { return nil }; stime = value
                case 24: return numeric ? (utime &+ stime, value) : nil
                default: break
                }
                field += 1; value = 0; numeric = true
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                value = value &* 10 &+ UInt64(c - UInt8(ascii: "0"))
            } else {
                numeric = false
            }
        }
        return nil
    }
}
