import Foundation
import Models

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

/// Short human forms used in the command line's tables: ``Formatting`` (Models, shared with the
/// TUI) plus the CLI's own placeholders.
enum HumanFormat {
    /// `64M`, `1G`, `1536M`.
    static func mebibytes(_ mib: Int) -> String {
        if mib >= 1024 && mib % 1024 == 0 { return "\(mib / 1024)G" }
        return "\(mib)M"
    }

    /// Local time `2026-11-28 10:54`, `-` when unknown.
    static func date(_ date: Date?) -> String {
        date.map(Formatting.date) ?? "-"
    }
}
