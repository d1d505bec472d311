import Foundation

/// Short human formats for table cells.
public enum Formatting {
    /// Uptime in the manner of k9s's AGE column: seconds while they matter (`45s`, `1m30s`), then
    /// minutes (`5m`, `2h04m`), then hours (`3d04h`), so an old instance's cell changes once a
    /// minute (or hour), not every second.
    public static func duration(_ seconds: Double) -> String {
        let s = seconds.isFinite ? Int(min(max(0, seconds), 1e12)) : 0
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if s < 60 { return "\(s)s" }
        if s < secondsResolutionLimit { return "\(s / 60)m\(two(s % 60))s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h\(two((s % 3600) / 60))m" }
        return "\(s / 86400)d\(two((s % 86400) / 3600))h"
    }

    /// Below this many seconds ``duration(_:)`` shows seconds; from it on, minutes at most.
    public static let secondsResolutionLimit = 120

    /// The elapsed time (≥ `seconds`, strictly greater when finite) at which the text of
    /// ``duration(_:)`` next changes; nil when it never does.
    public static func durationChange(after seconds: Double) -> Double? {
        guard seconds.isFinite, seconds < 1e12 else { return nil }
        if seconds < 0 { return 1 }
        let step: Double
        switch seconds {
        case ..<Double(secondsResolutionLimit): step = 1
        case ..<86400: step = 60
        default: step = 3600
        }
        return ((seconds / step).rounded(.down) + 1) * step
    }

    /// The CPU% cell: one decimal; below 0.5% it reads `0.0`. CPU time is counted in 10 ms
    /// ticks, so a nearly idle guest's one-second samples are 0% or 1% and a five-second mean
    /// moves in 0.2% steps: below 0.5% that is noise, and showing it makes an idle screen flicker.
    public static func cpuPercent(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        return oneDecimal(v < 0.5 ? 0 : v)
    }

    /// One decimal without Foundation formatting: `3.1`, `120.0`.
    public static func oneDecimal(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let tenths = Int((min(max(v, -1e12), 1e12) * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let a = abs(tenths)
        return "\(sign)\(a / 10).\(a % 10)"
    }

    /// `512B`, `18M`, `1.2G` (binary units).
    public static func bytes(_ b: UInt64) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var v = Double(b)
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        if i == 0 { return "\(b)B" }
        return v < 10 ? oneDecimal(v) + units[i] : "\(Int(v.rounded()))\(units[i])"
    }

    /// `41ms`, `1.2s`.
    public static func millis(_ ms: Double) -> String {
        guard ms.isFinite, ms >= 0 else { return "-" }
        return ms < 1000 ? "\(Int(ms.rounded()))ms" : oneDecimal(ms / 1000) + "s"
    }

    /// A sparkline of the last `width` samples, scaled to 0…max(100, peak).
    public static func sparkline<Samples: BidirectionalCollection<Double>>(_ samples: Samples, width: Int, sparks: [Character]) -> String {
        guard width > 0, !samples.isEmpty, !sparks.isEmpty else { return "" }
        let tail = samples.suffix(width).map { $0.isFinite ? min(max(0, $0), 1e6) : 0 }
        let top = max(100, tail.max() ?? 0)
        var out = ""
        for v in tail {
            let i = Int((v / top * Double(sparks.count - 1)).rounded())
            out.append(sparks[min(sparks.count - 1, max(0, i))])
        }
        return out
    }

    /// ISO-like local date `2026-11-28 10:54` (images' MODIFIED, the details' start time, the
    /// command line's tables).
    public static func date(_ d: Date) -> String { dateFormatter.string(from: d) }

    private static let dateFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f
    }()
}
