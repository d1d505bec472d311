/// Where a style starts within a ``ConsoleLine``: the style holds from `utf8Offset` to the next
/// run's offset (or the end of the line).
public struct ConsoleStyleRun: Sendable, Hashable {
    private var offset: UInt32
    /// The style of the run.
    public var style: ConsoleStyle

    /// UTF-8 byte offset of the run's first byte within the line.
    public var utf8Offset: Int {
        get { Int(offset) }
        set { offset = UInt32(clamping: newValue) }
    }

    public init(utf8Offset: Int, style: ConsoleStyle) {
        self.offset = UInt32(clamping: utf8Offset)
        self.style = style
    }
}

extension Array where Element == ConsoleStyleRun {
    /// The style in effect at UTF-8 byte `offset` of a line with these runs (in offset order):
    /// the last run starting at or before it, plain before the first.
    func style(atUTF8Offset offset: Int) -> ConsoleStyle {
        var style = ConsoleStyle.plain
        for run in self {
            if run.utf8Offset > offset { break }
            style = run.style
        }
        return style
    }
}

/// One piece of a line in one style (see ``ConsoleLine/segments``).
public struct ConsoleLineSegment: Sendable, Hashable {
    public var text: String
    public var style: ConsoleStyle
    /// Byte range of the segment in the line's UTF-8.
    public var utf8Range: Range<Int>
}

/// One line of console output in a ``Scrollback``: its UTF-8 text, its style runs (none for plain
/// text, which keeps plain lines cheap) and its absolute line number, which never changes while
/// the line is kept (so a view can hold a stable position while older lines are evicted).
public struct ConsoleLine: Sendable, Hashable {
    /// Absolute line number: 0 for the first line the scrollback ever received.
    public let number: Int
    /// The text as valid UTF-8 (when fed sanitized bytes), without the line terminator.
    public let utf8: [UInt8]
    /// Style changes within the line in offset order; text before the first run is
    /// ``ConsoleStyle/plain``. Empty for a plain line.
    public let styleRuns: [ConsoleStyleRun]

    public init(number: Int, utf8: [UInt8], styleRuns: [ConsoleStyleRun] = []) {
        self.number = number
        self.utf8 = utf8
        self.styleRuns = styleRuns
    }

    /// The text (ill-formed UTF-8, impossible for sanitized input, shows as U+FFFD).
    public var text: String { String(decoding: utf8, as: UTF8.self) }

    /// True when some of the line is not in the plain style.
    public var isStyled: Bool { !styleRuns.isEmpty }

    /// Style of the byte at `offset`.
    public func style(atUTF8Offset offset: Int) -> ConsoleStyle {
        styleRuns.style(atUTF8Offset: offset)
    }

    /// The line cut into same-style segments, in order (one plain segment for a plain line;
    /// none for an empty line).
    public var segments: [ConsoleLineSegment] {
        var result: [ConsoleLineSegment] = []
        var start = 0
        var style = ConsoleStyle.plain
        func close(at end: Int) {
            guard end > start else { return }
            result.append(ConsoleLineSegment(
                text: String(decoding: utf8[start..<end], as: UTF8.self), style: style, utf8Range: start..<end))
        }
        for run in styleRuns {
            let offset = min(run.utf8Offset, utf8.count)
            close(at: offset)
            start = max(start, offset)
            style = run.style
        }
        close(at: utf8.count)
        return result
    }

    /// Number of Unicode scalars (columns, ignoring wide characters) in `utf8[..<offset]`.
    public func scalarCount(upTo offset: Int) -> Int {
        var count = 0
        for byte in utf8[..<min(offset, utf8.count)] where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }
}
