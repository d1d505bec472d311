import Foundation
import Models
import QEMUMonitor

/// Turns file changes in the state directory into ``BackendEvent``s for any number of
/// subscribers, and samples CPU/RSS of running instances about once a second while at least
/// one subscriber exists. Runs on the ``FileWatchHub`` thread; with no subscribers it holds
/// no watches and no timer.
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
        if known.removeValue(forKey: name) != nil {
            emit(.instanceRemoved(InstanceID(backend: "qemu", host: "local", name: name)))
        }
    }

    private func sampleStats() {
        let now = ContinuousClock.now
        var batch: [InstanceID: InstanceStats] = [:]
        for (name, inst) in known where inst.state.isActive {
            guard let pid = inst.pid, let st = ProcStat.read(pid: pid) else { continue }
            var cpu = 0.0
            if let prev = cpuSamples[name], st.cpuTicks >= prev.ticks {
                let dt = now - prev.at
                let secs = Double(dt.components.seconds) + Double(dt.components.attoseconds) / 1e18
                if secs > 0 { cpu = Double(st.cpuTicks - prev.ticks) / Self.clockTicksPerSecond / secs * 100 }
            }
            cpuSamples[name] = (st.cpuTicks, now)
            var rss: UInt64?
            if let statm = FileIO.readSmall("/proc/\(pid)/statm", limit: 256) {
                let parts = String(decoding: statm, as: UTF8.self).split(separator: " ")
                if parts.count > 1, let pages = UInt64(parts[1]) { rss = pages * Self.pageSize }
            }
            let stats = InstanceStats(cpuPercent: (cpu * 10).rounded() / 10, rssBytes: rss)
            known[name]?.stats = stats
            batch[inst.id] = stats
        }
        if !batch.isEmpty { emit(.statsBatch(batch)) }
    }
}
