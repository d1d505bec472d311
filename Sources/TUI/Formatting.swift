import Foundation

/// Short human formats for table cells.
public enum Formatting {
    /// `59s`, `13m`, `2h04m`, `3d02h`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 86400)d\(String(format: "%02d", (s % 86400) / 3600))h"
    }

    /// `512B`, `18M`, `1.2G` (binary units).
    public static func bytes(_ b: UInt64) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var v = Double(b)
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        if i == 0 { return "\(b)B" }
        return v < 10 ? String(format: "%.1f%@", v, units[i]) : "\(Int(v.rounded()))\(units[i])"
    }

    /// `41ms`, `1.2s`.
    public static func millis(_ ms: Double) -> String {
        ms < 1000 ? "\(Int(ms.rounded()))ms" : String(format: "%.1fs", ms / 1000)
    }

    /// A sparkline of the last `width` samples, scaled to 0…max(100, peak).
    public static func sparkline(_ samples: [Double], width: Int, sparks: [Character]) -> String {
        guard width > 0, !samples.isEmpty, !sparks.isEmpty else { return "" }
        let tail = samples.suffix(width)
        let top = max(100, tail.max() ?? 0)
        var out = ""
        for v in tail {
            let i = Int((max(0, v) / top * Double(sparks.count - 1)).rounded())
            out.append(sparks[min(sparks.count - 1, max(0, i))])
        }
        return out
    }

    /// ISO-like local date `2026-11-28 10:54`.
    public static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: d)
    }
}
