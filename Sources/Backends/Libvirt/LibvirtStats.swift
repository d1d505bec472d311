import Foundation
import Models
import Synchronization

/// Turns cumulative CPU times into CPU percentages between samples.
final class LibvirtStatsSampler: Sendable {
    private struct Samples {
        var previous: [String: (cpuNs: UInt64, atNs: UInt64)] = [:]
        var latest: [String: InstanceStats] = [:]
    }
    private let samples = Mutex(Samples())

    /// Records a sample of every active domain and returns the stats of those seen before.
    /// `nowNs` is a monotonic clock reading.
    func sample(_ snaps: [DomainSnapshot], nowNs: UInt64) -> [(String, InstanceStats)] {
        samples.withLock { m in
            var out: [(String, InstanceStats)] = []
            var next: [String: (cpuNs: UInt64, atNs: UInt64)] = [:]
            for s in snaps where s.cpuTimeNs > 0 {
                next[s.uuid] = (s.cpuTimeNs, nowNs)
                guard let p = m.previous[s.uuid], nowNs > p.atNs, s.cpuTimeNs >= p.cpuNs else { continue }
                let pct = Double(s.cpuTimeNs - p.cpuNs) / Double(nowNs - p.atNs) * 100
                let stats = InstanceStats(cpuPercent: (pct * 10).rounded() / 10, rssBytes: s.rssBytes)
                m.latest[s.uuid] = stats
                out.append((s.name, stats))
            }
            m.previous = next
            m.latest = m.latest.filter { next[$0.key] != nil }
            return out
        }
    }

    /// The most recent stats of a domain (by UUID), if sampled.
    func latest(uuid: String) -> InstanceStats? { samples.withLock { $0.latest[uuid] } }

    static func monotonicNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
