import Models
import Testing

/// The scrollback's bulk path (a run of text appended with one copy) against its exact
/// semantics: overwriting after CR, splitting at the line length limit, style runs, and copies.
@Suite("Scrollback: bulk appends")
struct ScrollbackBulkTests {
    /// The lines of `input` appended in one piece, after checking that appending it one character
    /// at a time gives the same lines.
    func lines(_ input: String, capacity: Int = 100) -> [ConsoleLine] {
        let bytes = Array(input.utf8)
        var whole = Scrollback(capacity: capacity)
        whole.append(bytes)
        var pieces = Scrollback(capacity: capacity)
        let offsets = characterOffsets(bytes) + [bytes.count]
        for k in 0..<(offsets.count - 1) { pieces.append(Array(bytes[offsets[k]..<offsets[k + 1]])) }
        #expect(ConsoleDigest.of(pieces) == ConsoleDigest.of(whole), "\(input.debugDescription)")
        return whole.lines(in: whole.lineNumbers)
    }

    @Test("after CR a run overwrites, then whatever is longer than the line is appended")
    func overwriteThenAppend() {
        #expect(lines("0123456789\rabc\n").map(\.text) == ["abc3456789"])
        #expect(lines("0123\rabcdefgh\n").map(\.text) == ["abcdefgh"])
        #expect(lines("0123\rabcdefgh\rXY\n").map(\.text) == ["XYcdefgh"])
        #expect(lines("日本語\rab€\n").map(\.text) == ["ab€"])
        #expect(lines("ab\r日本語テキスト\n").map(\.text) == ["日本語テキスト"])
        #expect(lines("abc\r\n").map(\.text) == ["abc"])
    }

    @Test("styled overwrite, then appending in the style in effect")
    func styledOverwrite() throws {
        let red = ConsoleStyle(foreground: .ansi(1))
        let green = ConsoleStyle(foreground: .ansi(2))
        let line = try #require(lines("\u{1B}[31m0123\r\u{1B}[32mab\u{1B}[31mcdef\u{1B}[mg\n").first)
        #expect(line.text == "abcdefg")
        #expect(line.styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: green), ConsoleStyleRun(utf8Offset: 2, style: red),
                                   ConsoleStyleRun(utf8Offset: 6, style: .plain)])
    }

    @Test("repeating the current style adds no run; changes add one each")
    func repeatedStyles() throws {
        let red = ConsoleStyle(foreground: .ansi(1))
        let green = ConsoleStyle(foreground: .ansi(2))
        let line = try #require(lines("\u{1B}[31ma\u{1B}[31mb\u{1B}[32mc\u{1B}[31md\u{1B}[0m\u{1B}[me\n").first)
        #expect(line.styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: red), ConsoleStyleRun(utf8Offset: 2, style: green),
                                   ConsoleStyleRun(utf8Offset: 3, style: red), ConsoleStyleRun(utf8Offset: 4, style: .plain)])
        // The style in effect carries over to the next lines, across an empty one.
        let next = lines("\u{1B}[31mx\n\u{1B}[32m\ny\n")
        #expect(next.map(\.styleRuns) == [[ConsoleStyleRun(utf8Offset: 0, style: red)], [],
                                          [ConsoleStyleRun(utf8Offset: 0, style: green)]])
    }

    @Test("a run crossing the line length limit is split at a character boundary")
    func splitAtLimit() {
        let limit = ConsoleLimits.maxLineBytes
        let split = lines(String(repeating: "x", count: limit - 2) + "€€y\n")
        #expect(split.map(\.utf8.count) == [limit - 2, 7])
        #expect(split.last?.text == "€€y")
        let exact = lines(String(repeating: "x", count: limit) + "z\n")
        #expect(exact.map(\.utf8.count) == [limit, 1])
        let long = lines(String(repeating: "ab", count: limit + 5) + "\n")
        #expect(long.map(\.utf8.count) == [limit, limit, 10])
    }

    @Test("a copy of a scrollback stays independent of the original (copy on write)")
    func copies() throws {
        var original = Scrollback(capacity: 50)
        let long = String(repeating: "z", count: 40_000)  // a few lines per 256 KiB chunk
        for k in 0..<30 { original.append("line \(k) \(long)\n") }
        original.append("partial")
        var copy = original
        for k in 30..<70 { original.append("\u{1B}[31moriginal \(k)\n") }
        for k in 30..<40 { copy.append(" copy \(k) \(long)\n") }
        #expect(original.lineNumbers == 20..<70)
        #expect(copy.lineNumbers == 0..<40)
        #expect(try #require(copy.line(at: 29)).text == "line 29 \(long)")
        #expect(try #require(copy.line(at: 30)).text == "partial copy 30 \(long)")
        #expect(try #require(copy.line(at: 39)).styleRuns.isEmpty)
        #expect(try #require(original.line(at: 30)).text == "partialoriginal 30")
        #expect(try #require(original.line(at: 69)).styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: ConsoleStyle(foreground: .ansi(1)))])
        #expect(original.totalBytes == original.lines(in: original.lineNumbers).reduce(0) { $0 + $1.utf8.count })
        #expect(copy.totalBytes == copy.lines(in: copy.lineNumbers).reduce(0) { $0 + $1.utf8.count })
        var third = copy
        third.removeAll()
        #expect(third.isEmpty && copy.count == 40)
    }
}
