/// Console scrollback of one instance as the TUI shows it: guest bytes go in, sanitized styled
/// lines come out, numbered absolutely so positions stay stable when old lines are evicted.
///
/// Placeholder for the Models console engine (branch `models-console`): same role, kept small.
public struct ConsoleBuffer: Sendable {
    /// Lines kept (older ones are evicted).
    public let capacity: Int
    /// Longest line kept; longer output continues on a new line.
    public static let maxLineScalars = 4096

    private var ring: [ConsoleLine] = []
    private var head = 0
    /// Absolute number of the oldest kept line.
    public private(set) var firstLineNumber = 0
    /// The line being written (not yet ended by a newline).
    public private(set) var partial = ConsoleLine()
    private var sanitizer = ConsoleSanitizer()
    private var pendingCR = false

    /// The query whose matching complete lines are counted in ``completeMatchCount``.
    public private(set) var query: SearchQuery?
    public private(set) var completeMatchCount = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Complete lines kept.
    public var completeCount: Int { ring.count }
    /// One past the last line number, counting a non-empty partial line.
    public var endLineNumber: Int { firstLineNumber + ring.count + (partial.scalarCount > 0 ? 1 : 0) }
    /// Lines available to show.
    public var lineCount: Int { endLineNumber - firstLineNumber }

    /// The line with absolute number `n`, if kept.
    public func line(_ n: Int) -> ConsoleLine? {
        let i = n - firstLineNumber
        if i < 0 { return nil }
        if i < ring.count { return ring[(head + i) % ring.count] }
        if i == ring.count && partial.scalarCount > 0 { return partial }
        return nil
    }

    /// Matches of the query in kept lines (complete and partial), counting lines.
    public var matchCount: Int {
        guard let query else { return 0 }
        return completeMatchCount + (partial.matches(query) ? 1 : 0)
    }

    /// Sets the search query and recounts matches (nil or empty: no search).
    public mutating func setQuery(_ raw: String?) {
        guard let raw, !raw.isEmpty else { query = nil; completeMatchCount = 0; return }
        let q = SearchQuery(raw)
        query = q
        completeMatchCount = ring.reduce(0) { $0 + ($1.matches(q) ? 1 : 0) }
    }

    /// Appends guest bytes.
    public mutating func append(_ bytes: [UInt8]) {
        for b in bytes {
            let (first, second) = sanitizer.feed(b)
            if let first { apply(first) }
            if let second { apply(second) }
        }
    }

    private mutating func apply(_ output: SanitizedOutput) {
        switch output {
        case .scalar(let s, let style): put(s, style)
        case .newline: pendingCR = false; finishLine()
        case .carriageReturn: pendingCR = true
        case .backspace: partial.removeLast()
        case .tab(let style):
            repeat { put(" ", style) } while partial.scalarCount % 8 != 0
        }
    }

    private mutating func put(_ s: Unicode.Scalar, _ style: Style) {
        if pendingCR { partial = ConsoleLine(); pendingCR = false }
        if partial.scalarCount >= Self.maxLineScalars { finishLine() }
        partial.append(s, style: style)
    }

    private mutating func finishLine() {
        let line = partial
        partial = ConsoleLine()
        if let query, line.matches(query) { completeMatchCount += 1 }
        if ring.count < capacity {
            ring.append(line)
        } else {
            if let query, ring[head].matches(query) { completeMatchCount -= 1 }
            ring[head] = line
            head = (head + 1) % ring.count
            firstLineNumber += 1
        }
    }
}
