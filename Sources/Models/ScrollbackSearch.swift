/// A place in a ``Scrollback``: a line number and a UTF-8 offset within the line.
public struct ScrollbackPosition: Sendable, Hashable, Comparable {
    public var lineNumber: Int
    public var utf8Offset: Int

    public init(lineNumber: Int, utf8Offset: Int = 0) {
        self.lineNumber = lineNumber
        self.utf8Offset = utf8Offset
    }

    public static func < (a: ScrollbackPosition, b: ScrollbackPosition) -> Bool {
        (a.lineNumber, a.utf8Offset) < (b.lineNumber, b.utf8Offset)
    }
}

/// One occurrence of a search query in a ``Scrollback``.
public struct ScrollbackMatch: Sendable, Hashable {
    /// Absolute number of the line (see ``ConsoleLine/number``).
    public var lineNumber: Int
    /// Bytes of the match in the line's UTF-8.
    public var utf8Range: Range<Int>
    /// Columns of the match: Unicode scalar offsets in the line (wide characters count as one).
    public var columnRange: Range<Int>

    /// Where the match starts.
    public var position: ScrollbackPosition { ScrollbackPosition(lineNumber: lineNumber, utf8Offset: utf8Range.lowerBound) }
}

extension Scrollback {
    /// Every occurrence of `query` in the kept lines, oldest first (non-overlapping within a
    /// line; at most ``ConsoleLimits/maxSearchMatches``). An empty query matches nothing.
    /// Case-insensitive search folds ASCII letters byte-wise and other letters by their simple
    /// lowercase mapping.
    public func search(_ query: String, caseInsensitive: Bool = true) -> [ScrollbackMatch] {
        let matcher = ConsoleTextMatcher(query: query, caseInsensitive: caseInsensitive)
        guard !matcher.isEmpty else { return [] }
        var matches: [ScrollbackMatch] = []
        forEachLineBytes { number, line in
            matcher.forEachMatch(in: line, number: number) { match in
                matches.append(match)
                return matches.count < ConsoleLimits.maxSearchMatches
            }
            return matches.count < ConsoleLimits.maxSearchMatches
        }
        return matches
    }

    /// The first occurrence of `query` that starts after `position` (nil: from the oldest line),
    /// or nil when there is none (callers wrap around by asking again with nil).
    public func nextMatch(_ query: String, caseInsensitive: Bool = true,
                          after position: ScrollbackPosition?) -> ScrollbackMatch? {
        let matcher = ConsoleTextMatcher(query: query, caseInsensitive: caseInsensitive)
        guard !matcher.isEmpty else { return nil }
        var found: ScrollbackMatch?
        forEachLineBytes(from: position?.lineNumber) { number, line in
            matcher.forEachMatch(in: line, number: number) { match in
                if let position, match.position <= position { return true }
                found = match
                return false
            }
            return found == nil
        }
        return found
    }

    /// The last occurrence of `query` that starts before `position` (nil: from the newest line),
    /// or nil when there is none.
    public func previousMatch(_ query: String, caseInsensitive: Bool = true,
                              before position: ScrollbackPosition?) -> ScrollbackMatch? {
        let matcher = ConsoleTextMatcher(query: query, caseInsensitive: caseInsensitive)
        guard !matcher.isEmpty else { return nil }
        var number = min(position?.lineNumber ?? lastLineNumber, lastLineNumber)
        while number >= firstLineNumber {
            let last: ScrollbackMatch?? = withLineBytes(number) { line in
                var last: ScrollbackMatch?
                matcher.forEachMatch(in: line, number: number) { match in
                    if let position, match.position >= position { return false }
                    last = match
                    return true
                }
                return last
            }
            if let last = last ?? nil { return last }
            number -= 1
        }
        return nil
    }
}

/// Finds a query in line bytes: byte-wise for ASCII queries, by scalars otherwise.
struct ConsoleTextMatcher {
    private let needle: [UInt8]
    private let scalarNeedle: [Unicode.Scalar]
    private let caseInsensitive: Bool
    private let isASCII: Bool

    init(query: String, caseInsensitive: Bool) {
        self.caseInsensitive = caseInsensitive
        let bytes = Array(query.utf8)
        isASCII = bytes.allSatisfy { $0 < 0x80 }
        needle = caseInsensitive ? bytes.map(Self.foldASCII) : bytes
        scalarNeedle = query.unicodeScalars.map { caseInsensitive ? Self.fold($0) : $0 }
    }

    var isEmpty: Bool { needle.isEmpty }

    @inline(__always)
    static func foldASCII(_ byte: UInt8) -> UInt8 { byte &- 0x41 < 26 ? byte | 0x20 : byte }

    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII { return Unicode.Scalar(foldASCII(UInt8(scalar.value))) }
        let lower = scalar.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower[lower.startIndex] : scalar
    }

    /// Calls `body` with each non-overlapping match in `line` until it returns false.
    func forEachMatch(in line: UnsafeRawBufferPointer, number: Int, _ body: (ScrollbackMatch) -> Bool) {
        if isASCII {
            forEachASCIIMatch(in: line, number: number, body)
        } else {
            forEachScalarMatch(in: line, number: number, body)
        }
    }

    private func forEachASCIIMatch(in hay: UnsafeRawBufferPointer, number: Int, _ body: (ScrollbackMatch) -> Bool) {
        let m = needle.count
        guard hay.count >= m else { return }
        let first = needle[0]
        var i = 0
        var column = 0
        var columnAt = 0  // column counted up to byte `columnAt`
        while i <= hay.count - m {
            let byte = caseInsensitive ? Self.foldASCII(hay[i]) : hay[i]
            if byte == first {
                var k = 1
                while k < m && (caseInsensitive ? Self.foldASCII(hay[i + k]) : hay[i + k]) == needle[k] { k += 1 }
                if k == m {
                    while columnAt < i { if hay[columnAt] & 0xC0 != 0x80 { column += 1 }; columnAt += 1 }
                    let match = ScrollbackMatch(lineNumber: number, utf8Range: i..<(i + m),
                                                columnRange: column..<(column + m))
                    if !body(match) { return }
                    i += m
                    continue
                }
            }
            i += 1
        }
    }

    private func forEachScalarMatch(in line: UnsafeRawBufferPointer, number: Int, _ body: (ScrollbackMatch) -> Bool) {
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []
        var offset = 0
        for scalar in String(decoding: line, as: UTF8.self).unicodeScalars {
            scalars.append(caseInsensitive ? Self.fold(scalar) : scalar)
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        let m = scalarNeedle.count
        guard m > 0, scalars.count >= m else { return }
        var i = 0
        while i <= scalars.count - m {
            var k = 0
            while k < m && scalars[i + k] == scalarNeedle[k] { k += 1 }
            if k == m {
                let match = ScrollbackMatch(lineNumber: number, utf8Range: offsets[i]..<offsets[i + m],
                                            columnRange: i..<(i + m))
                if !body(match) { return }
                i += m
            } else {
                i += 1
            }
        }
    }
}
