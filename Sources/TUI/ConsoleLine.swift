/// A run of `length` Unicode scalars of a console line drawn in one style.
public struct StyleRun: Sendable, Equatable {
    public var length: Int
    public var style: Style
    public init(length: Int, style: Style) { self.length = length; self.style = style }
}

/// One line of sanitized console output: printable text and the SGR styles of its parts.
public struct ConsoleLine: Sendable, Equatable {
    /// Printable characters only (no control characters, no escape sequences).
    public var text: String
    /// Styles covering `text.unicodeScalars` in order; plain where runs end early.
    public var runs: [StyleRun]
    /// Number of Unicode scalars in `text`.
    public var scalarCount: Int

    public init(text: String = "", runs: [StyleRun] = []) {
        self.text = text; self.runs = runs; self.scalarCount = text.unicodeScalars.count
    }

    mutating func append(_ s: Unicode.Scalar, style: Style) {
        text.unicodeScalars.append(s)
        scalarCount += 1
        if let last = runs.indices.last, runs[last].style == style {
            runs[last].length += 1
        } else {
            runs.append(StyleRun(length: 1, style: style))
        }
    }

    mutating func removeLast() {
        guard scalarCount > 0 else { return }
        text.unicodeScalars.removeLast()
        scalarCount -= 1
        if let last = runs.indices.last {
            runs[last].length -= 1
            if runs[last].length <= 0 { runs.removeLast() }
        }
    }

    /// Smart-case search: a query with no uppercase letter matches case-insensitively.
    public func matches(_ query: SearchQuery) -> Bool {
        guard !query.text.isEmpty else { return false }
        return query.caseSensitive ? text.contains(query.text) : text.lowercased().contains(query.text)
    }

    /// Scalar offsets of every match of `query` in this line (for highlighting).
    public func matchRanges(_ query: SearchQuery) -> [Range<Int>] {
        guard !query.text.isEmpty else { return [] }
        let hay = Array((query.caseSensitive ? text : text.lowercased()).unicodeScalars)
        let needle = Array(query.text.unicodeScalars)
        guard needle.count <= hay.count, hay.count == scalarCount else { return [] }
        var out: [Range<Int>] = []
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
                out.append(i..<(i + needle.count)); i += needle.count
            } else { i += 1 }
        }
        return out
    }
}

/// A console search query with smart case.
public struct SearchQuery: Sendable, Equatable {
    public var text: String
    public var caseSensitive: Bool
    public init(_ raw: String) {
        caseSensitive = raw.contains { $0.isUppercase }
        text = caseSensitive ? raw : raw.lowercased()
    }
}
