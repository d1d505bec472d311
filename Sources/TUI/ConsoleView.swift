import Foundation
import Models

/// The console pane (below the instances table) and the full-screen console: a title line and the
/// visible part of the scrollback, with SGR colours, search matches and optional wrapping.
enum ConsoleView {
    static func draw(_ grid: inout Grid, _ s: AppState, _ layout: Layout) {
        let t = s.theme
        let id = s.consoleInstanceID
        let view = id.flatMap { s.consoles[$0] }
        drawTitle(&grid, s, layout, id: id, view: view)
        grid.fill(x: 0, y: layout.consoleY, width: grid.width, height: layout.consoleHeight, style: t[.consoleBackground])
        guard let view else {
            let msg = id == nil ? "no instance selected" : "opening console…"
            grid.put(" " + msg, x: 0, y: layout.consoleY, style: t[.dim])
            return
        }
        let b = view.buffer
        if b.lineCount == 0 {
            grid.put(view.ended ? " (no console output)" : " (no output yet)", x: 0, y: layout.consoleY, style: t[.dim])
            return
        }
        let height = layout.consoleHeight, width = grid.width
        let query = b.query
        let top = Reducer.currentTop(view, height: height)
        if !s.wrap {
            for r in 0..<height {
                guard let line = b.line(top + r) else { break }
                _ = drawLine(&grid, s, line, number: top + r, from: 0, y: layout.consoleY + r, width: width, query: query, current: view.currentMatch)
            }
            return
        }
        // Wrapped: rows of (line number, starting scalar).
        var rows: [(Int, Int)] = []
        if view.follow {
            var n = b.endLineNumber - 1
            while n >= b.firstLineNumber && rows.count < height {
                guard let line = b.line(n) else { break }
                let starts = wrapStarts(line, width: width)
                rows.insert(contentsOf: starts.map { (n, $0) }, at: 0)
                n -= 1
            }
            if rows.count > height { rows.removeFirst(rows.count - height) }
        } else {
            var n = top
            while rows.count < height, let line = b.line(n) {
                rows.append(contentsOf: wrapStarts(line, width: width).prefix(height - rows.count).map { (n, $0) })
                n += 1
            }
        }
        for (r, (n, start)) in rows.enumerated() {
            guard let line = b.line(n) else { continue }
            _ = drawLine(&grid, s, line, number: n, from: start, y: layout.consoleY + r, width: width, query: query, current: view.currentMatch)
        }
    }

    static func drawTitle(_ grid: inout Grid, _ s: AppState, _ layout: Layout, id: InstanceID?, view: ConsoleViewState?) {
        let t = s.theme, sym = s.symbols
        let y = layout.consoleTitleY
        if let inter = s.interactive, s.screen == .console {
            let text = " INPUT \(sym.arrow) guest \(inter.name) (Ctrl-] to leave) "
            grid.fill(x: 0, y: y, width: grid.width, height: 1, style: t[.inputMark])
            grid.put(text, x: 0, y: y, style: t[.inputMark])
            return
        }
        let focused = s.screen == .console || s.focus == .console
        let border = focused ? t[.consoleTitle] : t[.border]
        grid.hline(x: 0, y: y, width: grid.width, character: sym.horizontal, style: border)
        var parts: [String] = []
        parts.append("console: " + (id?.name ?? "none"))
        if let view {
            if view.follow {
                parts.append("following")
            } else {
                // Position of the top line among the kept lines, so new output below is visible as a number.
                let b = view.buffer
                let top = Reducer.currentTop(view, height: max(1, layout.consoleHeight))
                parts.append("paused at \(grouped(top - b.firstLineNumber + 1))/\(grouped(b.lineCount))")
            }
            if view.ended { parts.append("ended") }
            let n = view.buffer.lineCount
            parts.append("\(grouped(n)) line\(n == 1 ? "" : "s")")
            if s.wrap { parts.append("wrap") }
            if s.prompt?.kind == .search {
                parts.append("/" + (s.prompt?.text ?? "") + "_")
            } else if !view.search.isEmpty {
                let k = view.buffer.matchCount
                parts.append("/\(view.search) (\(k) match\(k == 1 ? "" : "es"))")
            }
        }
        let title = " " + parts.joined(separator: " \(sym.horizontal) ") + " "
        grid.put(title, x: 1, y: y, style: border, maxWidth: grid.width - 2)
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    /// Scalar offsets where each wrapped row of `line` starts.
    static func wrapStarts(_ line: ConsoleLine, width: Int) -> [Int] {
        guard width > 0, !line.utf8.isEmpty else { return [0] }
        if line.isASCII { return Array(stride(from: 0, to: line.utf8.count, by: width)) }
        var starts = [0]
        var col = 0
        for (i, sc) in line.text.unicodeScalars.enumerated() {
            let w = sc.terminalWidth
            if col + w > width { starts.append(i); col = 0 }
            col += w
        }
        return starts
    }

    /// Draws `line` from scalar `from` into row `y`; returns the scalar index where it stopped.
    static func drawLine(_ grid: inout Grid, _ s: AppState, _ line: ConsoleLine, number: Int, from: Int, y: Int,
                         width: Int, query: SearchQuery?, current: Int?) -> Int {
        let t = s.theme
        let base = t[.consoleText]
        let background = t[.consoleBackground].background == .default ? base.background : t[.consoleBackground].background
        let colors = s.colorsEnabled
        func resolve(_ console: ConsoleStyle) -> Style {
            var style = Style(console)
            if !colors { style.foreground = .default; style.background = .default }
            if style.foreground == .default { style.foreground = base.foreground }
            if style.background == .default { style.background = background }
            style.attributes.formUnion(base.attributes)
            return style
        }
        let matches = query.map { line.matchRanges($0) } ?? []
        let matchStyle = number == current ? t[.currentMatch] : t[.searchMatch]
        let runs = line.styleRuns
        var runIndex = 0
        var nextRunOffset = runs.first?.utf8Offset ?? Int.max
        var style = resolve(.plain)
        var col = 0, i = 0, m = 0, offset = 0
        let rowBase = y * grid.width
        for sc in line.text.unicodeScalars {
            while offset >= nextRunOffset {
                style = resolve(runs[runIndex].style)
                runIndex += 1
                nextRunOffset = runIndex < runs.count ? runs[runIndex].utf8Offset : Int.max
            }
            let v = sc.value
            offset += v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4
            defer { i += 1 }
            if i < from { continue }
            let w = v >= 0x20 && v < 0x7F ? 1 : sc.terminalWidth
            if w == 0 { continue }
            if col + w > width { return i }
            var cellStyle = style
            if !matches.isEmpty {
                while m < matches.count && matches[m].upperBound <= i { m += 1 }
                if m < matches.count && matches[m].contains(i) { cellStyle = matchStyle }
            }
            grid.cells[rowBase + col] = Cell(scalar: sc, style: cellStyle)
            if w == 2 && col + 1 < grid.width { grid.cells[rowBase + col + 1] = Cell(scalar: " ", style: cellStyle, isContinuation: true) }
            col += w
        }
        return i
    }
}
