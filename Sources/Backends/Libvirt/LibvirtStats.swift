import Foundation
import Models

/// Turns cumulative CPU times into CPU percentages between samples.
final class LibvirtStatsSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var previous: [String: (cpuNs: UInt64, atNs: UInt64)] = [:]
    private var latest: [String: InstanceStats] = [:]

    /// Records a sample of every active domain and returns the stats of those seen before.
    /// `nowNs` is a monotonic clock reading.
    func sample(_ snaps: [DomainSnapshot], nowNs: UInt64) -> [(String, InstanceStats)] {
        lock.withLock {
            var out: [(String, InstanceStats)] = []
            var next: [String: (cpuNs: UInt64, atNs: UInt64)] = [:]
            for s in snaps where s.cpuTimeNs > 0 {
                next[s.uuid] = (s.cpuTimeNs, nowNs)
                guard let p = previous[s.uuid], nowNs > p.atNs, s.cpuTimeNs >= p.cpuNs else { continue }
                let pct = Double(s.cpuTimeNs - p.cpuNs) / Double(nowNs - p.atNs) * 100
                let stats = InstanceStats(cpuPercent: (pct * 10).rounded() / 10, rssBytes: s.rssBytes)
                latest[s.uuid] = stats
                out.append((s.name, stats))
            }
            previous = next
            latest = latest.filter { next[$0.key] != nil }
            return out
        }
    }

    /// The most recent stats of a domain (by UUID), if sampled.
    func latest(uuid: String) -> InstanceStats? { lock.withLock { latest[uuid] } }

    static func monotonicNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
