/// One screen cell: a grapheme (usually one character) and its style.
/// A wide character occupies its cell and a following `continuation` cell.
///
/// Stored as up to two Unicode scalars (a base and one combining mark or variation selector;
/// further scalars of a grapheme cluster are dropped) so a cell is plain data: grids are cheap
/// to build, copy and compare.
public struct Cell: Sendable, Hashable {
    /// The first scalar of the grapheme.
    public var scalar: Unicode.Scalar
    /// A second scalar (combining mark, variation selector), or nil.
    public var extra: Unicode.Scalar?
    public var style: Style
    /// True for the second column of a double-width character.
    public var isContinuation: Bool

    public init(_ character: Character = " ", style: Style = .plain, isContinuation: Bool = false) {
        var it = character.unicodeScalars.makeIterator()
        self.scalar = it.next() ?? " "
        self.extra = it.next()
        self.style = style; self.isContinuation = isContinuation
    }

    /// A cell holding one scalar.
    @inline(__always)
    public init(scalar: Unicode.Scalar, style: Style = .plain, isContinuation: Bool = false) {
        self.scalar = scalar; self.extra = nil; self.style = style; self.isContinuation = isContinuation
    }

    /// The grapheme shown in this cell.
    public var character: Character {
        get {
            guard let extra else { return Character(scalar) }
            var s = String.UnicodeScalarView()
            s.append(scalar); s.append(extra)
            return Character(String(s))
        }
        set {
            var it = newValue.unicodeScalars.makeIterator()
            scalar = it.next() ?? " "
            extra = it.next()
        }
    }

    public static let blank = Cell()
}

/// A rectangle of cells that views draw into; the driver diffs two grids and writes the changes.
public struct Grid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major cells (`y * width + x`).
    public internal(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: fill, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` at (x, y) clipped to the grid and to `maxWidth` columns; returns columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, maxWidth.map { x + max(0, $0) } ?? width)
        var col = x
        // Fast path: plain ASCII text needs no grapheme breaking.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            let base = y * width
            for b in text.utf8 {
                if col >= limit { break }
                if col >= 0 { cells[base + col] = Cell(scalar: Unicode.Scalar(b), style: style) }
                col += 1
            }
            return col - x
        }
        for ch in text {
            let w = ch.terminalWidth
            if w == 0 { continue }
            if col + w > limit { break }
            if col >= 0 {
                self[col, y] = Cell(ch, style: style)
                if w == 2 { self[col + 1, y] = Cell(" ", style: style, isContinuation: true) }
            }
            col += w
        }
        return col - x
    }

    /// Fills a rectangle with a style (spaces).
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: Style) {
        for yy in max(0, y)..<min(height, y + h) {
            for xx in max(0, x)..<min(width, x + w) { cells[yy * width + xx] = Cell(scalar: " ", style: style) }
        }
    }

    /// The text of row `y` (continuation cells skipped, trailing spaces kept): what tests assert on.
    public func line(_ y: Int) -> String {
        var s = ""
        for x in 0..<width where !self[x, y].isContinuation {
            let c = self[x, y]
            s.unicodeScalars.append(c.scalar)
            if let e = c.extra { s.unicodeScalars.append(e) }
        }
        return s
    }

    /// All rows as text, trailing spaces trimmed.
    public var lines: [String] {
        (0..<height).map { y in
            var l = line(y)
            while l.last == " " { l.removeLast() }
            return l
        }
    }
}

extension Character {
    /// Columns this character takes in a terminal: 0 for controls/combining, 2 for wide East Asian and emoji, else 1.
    public var terminalWidth: Int {
        guard let s = unicodeScalars.first else { return 0 }
        return s.terminalWidth
    }
}

extension Unicode.Scalar {
    /// Columns this scalar takes in a terminal (see ``Character/terminalWidth``).
    @inline(__always)
    public var terminalWidth: Int {
        let v = value
        if v >= 0x20 && v < 0x7F { return 1 }
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if v < 0x300 { return 1 }
        if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark { return 0 }
        if (v >= 0x1100 && v <= 0x115F) || (v >= 0x2E80 && v <= 0xA4CF) || (v >= 0xAC00 && v <= 0xD7A3)
            || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0xFE30 && v <= 0xFE4F) || (v >= 0xFF00 && v <= 0xFF60)
            || (v >= 0xFFE0 && v <= 0xFFE6) || (v >= 0x1F300 && v <= 0x1FAFF) || (v >= 0x20000 && v <= 0x3FFFD) {
            return 2
        }
        return 1
    }
}
