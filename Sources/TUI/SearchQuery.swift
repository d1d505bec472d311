import Models

/// A console search query with smart case: no uppercase letter means case-insensitive.
public struct SearchQuery: Sendable, Equatable {
    public var text: String
    public var caseSensitive: Bool
    public init(_ raw: String) {
        caseSensitive = raw.contains { $0.isUppercase }
        text = caseSensitive ? raw : raw.lowercased()
    }
}

extension ConsoleLine {
    /// Whether the line contains `query`.
    public func matches(_ query: SearchQuery) -> Bool {
        guard !query.text.isEmpty else { return false }
        return query.caseSensitive ? text.contains(query.text) : text.lowercased().contains(query.text)
    }

    /// Unicode-scalar offsets of every (non-overlapping) match of `query`, for highlighting.
    public func matchRanges(_ query: SearchQuery) -> [Range<Int>] {
        guard !query.text.isEmpty else { return [] }
        let original = Array(text.unicodeScalars)
        let hay = query.caseSensitive ? original : Array(text.lowercased().unicodeScalars)
        let needle = Array(query.text.unicodeScalars)
        // Lowercasing can change the scalar count (rare); then offsets would not line up: no highlight.
        guard needle.count <= hay.count, hay.count == original.count, let first = needle.first else { return [] }
        var out: [Range<Int>] = []
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(i..<(i + needle.count)); i += needle.count
            } else { i += 1 }
        }
        return out
    }

    /// Whether every byte is ASCII (one column per byte).
    var isASCII: Bool { !utf8.contains { $0 >= 0x80 } }
}

extension Style {
    /// The terminal style for a guest's SGR style.
    init(_ console: ConsoleStyle) {
        func color(_ c: ConsoleColor) -> TerminalColor {
            switch c {
            case .default: return .default
            case .ansi(let n), .indexed(let n): return .indexed(n)
            case .rgb(let r, let g, let b): return .rgb(r, g, b)
            }
        }
        self.init(foreground: color(console.foreground), background: color(console.background),
                  attributes: TextAttributes(rawValue: console.attributes.rawValue & 0x1F))
    }
}
