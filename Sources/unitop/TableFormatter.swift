import Foundation
import Models
import TUI

/// Left-aligned text columns separated by two spaces, like `docker ps`.
struct TableFormatter {
    /// Cells wider than this are cut with "…".
    static let maxCellWidth = 48

    var headers: [String]
    var rows: [[String]] = []

    init(headers: [String]) { self.headers = headers }

    mutating func append(_ row: [String]) { rows.append(row) }

    /// The table as text, one line per row with a trailing newline; trailing spaces trimmed.
    func render() -> String {
        let all = [headers] + rows.map { $0.map(Self.clean) }
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in all {
            var line = ""
            for (i, cell) in row.enumerated() where i < widths.count {
                line += cell
                if i < widths.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    /// Printable, single-line, bounded cell text (names and reasons may come from outside).
    static func clean(_ text: String) -> String {
        var s = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) ? " " : Character($0) })
        if s.count > maxCellWidth { s = String(s.prefix(maxCellWidth - 1)) + "…" }
        return s
    }
}

/// Short human forms used in tables.
enum HumanFormat {
    /// `42s`, `13m05s`, `2h04m`, `3d04h`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + String(format: "%02ds", s % 60) }
        if s < 86400 { return "\(s / 3600)h" + String(format: "%02dm", (s % 3600) / 60) }
        return "\(s / 86400)d" + String(format: "%02dh", (s % 86400) / 3600)
    }

    /// `41ms`, `1.2s`.
    static func millis(_ ms: Double) -> String {
        if ms < 1000 { return "\(Int(ms.rounded()))ms" }
        return String(format: "%.1fs", ms / 1000)
    }

    /// `64M`, `1G`, `1536M`.
    static func mebibytes(_ mib: Int) -> String {
        if mib >= 1024 && mib % 1024 == 0 { return "\(mib / 1024)G" }
        return "\(mib)M"
    }

    /// `512B`, `3.4K`, `12M`, `1.1G`.
    static func bytes(_ n: UInt64) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(n)B" }
        return value < 10 ? String(format: "%.1f", value) + units[unit] : "\(Int(value.rounded()))\(units[unit])"
    }

    /// Local time `2026-11-28 10:54`.
    static func date(_ date: Date?) -> String {
        date.map(Formatting.date) ?? "-"
    }
}
