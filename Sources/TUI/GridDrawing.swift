extension Grid {
    /// Changes the style of `count` cells starting at (x, y), keeping their characters.
    public mutating func restyle(x: Int, y: Int, width count: Int, style: Style) {
        guard y >= 0, y < height else { return }
        for xx in max(0, x)..<min(width, x + max(0, count)) {
            var c = self[xx, y]
            c.style = style
            self[xx, y] = c
        }
    }

    /// Writes `text` right-aligned so that it ends at column `right` (exclusive); returns its start column.
    @discardableResult
    public mutating func putRight(_ text: String, right: Int, y: Int, style: Style = .plain) -> Int {
        let w = text.displayWidth
        let x = right - w
        put(text, x: x, y: y, style: style, maxWidth: w)
        return x
    }

    /// Draws a horizontal line of `character` from x for `count` columns.
    public mutating func hline(x: Int, y: Int, width count: Int, character: Character, style: Style) {
        guard y >= 0, y < height else { return }
        let cell = Cell(character, style: style)
        for xx in max(0, x)..<min(width, x + max(0, count)) { self[xx, y] = cell }
    }
}

extension String {
    /// Terminal columns this string takes.
    public var displayWidth: Int {
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return utf8.count }
        var w = 0
        for ch in self { w += ch.terminalWidth }
        return w
    }

    /// The string cut to at most `columns` terminal columns, with `ellipsis` when cut.
    public func truncated(to columns: Int, ellipsis: String = "…") -> String {
        guard columns > 0 else { return "" }
        if displayWidth <= columns { return self }
        let ew = ellipsis.displayWidth
        guard columns > ew else { return String(repeating: ".", count: columns) }
        var out = ""
        var w = 0
        for ch in self {
            let cw = ch.terminalWidth
            if w + cw > columns - ew { break }
            out.append(ch); w += cw
        }
        return out + ellipsis
    }

    /// Pads with spaces (right) to `columns`, cutting when longer.
    public func padded(to columns: Int, ellipsis: String = "…") -> String {
        let t = truncated(to: columns, ellipsis: ellipsis)
        let w = t.displayWidth
        return w < columns ? t + String(repeating: " ", count: columns - w) : t
    }

    /// Pads with spaces (left) to `columns`, cutting when longer.
    public func leftPadded(to columns: Int, ellipsis: String = "…") -> String {
        let t = truncated(to: columns, ellipsis: ellipsis)
        let w = t.displayWidth
        return w < columns ? String(repeating: " ", count: columns - w) + t : t
    }
}
