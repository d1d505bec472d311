import Models
import Testing
@testable import TUI

/// The TUI's adapter over the Models console engine: numbering, eviction, match counting, styles.
@Suite struct ConsoleBufferTests {
    func texts(_ b: ConsoleBuffer) -> [String] {
        (b.firstLineNumber..<b.endLineNumber).compactMap { b.line($0)?.text }
    }

    @Test func linesAndPartialLine() {
        var b = ConsoleBuffer(capacity: 100)
        b.append(Array("one\r\ntwo\nthr".utf8))
        #expect(texts(b) == ["one", "two", "thr"])
        #expect(b.lineCount == 3)
        b.append(Array("ee\n".utf8))
        #expect(texts(b) == ["one", "two", "three"])
    }

    @Test func hostileSequencesNeverReachTheLines() {
        var b = ConsoleBuffer(capacity: 10)
        b.append(Array("\u{1B}[31merr\u{1B}[0m \u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[?1049h\u{1B}]52;c;aGk=\u{07}\u{1B}[1mok\n".utf8))
        b.append([0x61, 0xFF, 0x62, 0x0A])
        #expect(texts(b) == ["err ok", "a\u{FFFD}b"])
    }

    @Test func guestStylesMapToTerminalStyles() {
        #expect(Style(ConsoleStyle(foreground: .ansi(1))) == Style(foreground: .indexed(1)))
        #expect(Style(ConsoleStyle(foreground: .indexed(202), background: .rgb(1, 2, 3), attributes: [.bold, .underline]))
            == Style(foreground: .indexed(202), background: .rgb(1, 2, 3), attributes: [.bold, .underline]))
    }

    @Test func evictionKeepsAbsoluteNumbers() {
        var b = ConsoleBuffer(capacity: 3)
        for i in 0..<10 { b.append(Array("line \(i)\n".utf8)) }
        #expect(b.firstLineNumber == 7)
        #expect(b.endLineNumber == 10)
        #expect(b.line(7)?.text == "line 7")
        #expect(b.line(6) == nil)
        #expect(texts(b) == ["line 7", "line 8", "line 9"])
    }

    @Test func matchCountTracksAppendsAndEviction() {
        var b = ConsoleBuffer(capacity: 3)
        b.setQuery("err")
        b.append(Array("error 1\nok\nERROR 2\n".utf8))
        #expect(b.matchCount == 2)  // smart case: lowercase query matches both
        b.append(Array("x\ny\n".utf8))
        #expect(b.matchCount == 1)  // "error 1" evicted
        b.append(Array("partial err".utf8))
        #expect(b.matchCount == 2)  // the unfinished line counts too
        b.setQuery("ERR")
        #expect(b.matchCount == 1)  // uppercase: case-sensitive
        b.setQuery(nil)
        #expect(b.matchCount == 0)
    }

    @Test func matchRangesAreScalarOffsets() throws {
        var b = ConsoleBuffer(capacity: 3)
        b.append(Array("é error, Error\n".utf8))
        let line = try #require(b.line(0))
        #expect(line.matchRanges(SearchQuery("error")) == [2..<7, 9..<14])
        #expect(line.matchRanges(SearchQuery("Error")) == [9..<14])
    }
}
