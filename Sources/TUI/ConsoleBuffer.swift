import Models

/// One instance's console as the TUI keeps it: the Models ``ConsoleEngine`` (sanitizer and
/// scrollback with absolute line numbers, stable under eviction) plus the count of lines
/// matching the current search, kept up to date as lines complete and are evicted.
public struct ConsoleBuffer: Sendable {
    public private(set) var engine: ConsoleEngine
    /// The query whose matches are counted.
    public private(set) var query: SearchQuery?
    /// Numbers of complete kept lines matching `query`, ascending, from `matchHead` on.
    private var matchingLines: [Int] = []
    private var matchHead = 0
    /// Complete lines before this number have been checked against `query`.
    private var checkedEnd = 0

    public init(capacity: Int) { engine = ConsoleEngine(scrollbackLines: max(1, capacity)) }

    public var scrollback: Scrollback { engine.scrollback }
    /// Number of the oldest kept line.
    public var firstLineNumber: Int { engine.scrollback.firstLineNumber }
    /// One past the newest line (the unfinished line counts).
    public var endLineNumber: Int { engine.scrollback.firstLineNumber + engine.scrollback.count }
    /// Lines available to show.
    public var lineCount: Int { engine.scrollback.count }
    /// The line numbered `n`, if kept.
    public func line(_ n: Int) -> ConsoleLine? { engine.scrollback.line(at: n) }

    private var completeEnd: Int { endLineNumber - (engine.scrollback.hasPartialLine ? 1 : 0) }

    /// Lines matching the query (the unfinished line included).
    public var matchCount: Int {
        guard let query else { return 0 }
        let partial = engine.scrollback.partialLine?.matches(query) == true ? 1 : 0
        return matchingLines.count - matchHead + partial
    }

    /// Sets the search query and recounts (nil or empty: no search).
    public mutating func setQuery(_ raw: String?) {
        matchingLines = []; matchHead = 0
        guard let raw, !raw.isEmpty else { query = nil; return }
        query = SearchQuery(raw)
        checkedEnd = firstLineNumber
        countNewLines()
    }

    /// Feeds raw guest bytes (sanitized by the engine).
    public mutating func append(_ bytes: [UInt8]) {
        engine.feed(bytes)
        guard query != nil else { return }
        countNewLines()
    }

    private mutating func countNewLines() {
        guard let query else { return }
        let first = firstLineNumber, end = completeEnd
        var n = max(checkedEnd, first)
        while n < end {
            if line(n)?.matches(query) == true { matchingLines.append(n) }
            n += 1
        }
        checkedEnd = end
        while matchHead < matchingLines.count && matchingLines[matchHead] < first { matchHead += 1 }
        if matchHead > 1024 && matchHead * 2 > matchingLines.count {
            matchingLines.removeFirst(matchHead); matchHead = 0
        }
    }
}
