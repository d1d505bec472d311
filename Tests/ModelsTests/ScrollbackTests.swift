import Models
import Testing

extension Scrollback {
    /// Texts of all kept lines, oldest first.
    var texts: [String] { lines(in: lineNumbers).map(\.text) }
    mutating func append(_ text: String) { append(Array(text.utf8)) }
}

@Suite("Scrollback")
struct ScrollbackTests {
    @Test("LF ends lines; the unfinished line is the last line")
    func lines() throws {
        var scrollback = Scrollback()
        scrollback.append("one\ntwo\nthr")
        #expect(scrollback.texts == ["one", "two", "thr"])
        #expect(scrollback.count == 3)
        #expect(scrollback.hasPartialLine)
        #expect(scrollback.partialLine?.text == "thr")
        #expect(scrollback.firstLineNumber == 0)
        #expect(scrollback.lastLineNumber == 2)
        scrollback.append("ee\n")
        #expect(scrollback.texts == ["one", "two", "three"])
        #expect(!scrollback.hasPartialLine)
        #expect(try #require(scrollback.line(at: 2)).number == 2)
        #expect(scrollback.line(at: 3) == nil)
        #expect(scrollback.totalBytes == 11)
    }

    @Test("CR moves to column 0 and following text overwrites; CR LF keeps the line")
    func carriageReturn() {
        var scrollback = Scrollback()
        scrollback.append("progress 10%\rprogress 99%\r\n")
        scrollback.append("abcdef\rXY\n")
        scrollback.append("line\r\n")
        scrollback.append("keep\r")
        scrollback.append("\n")
        scrollback.append("日本語\rab\n")
        #expect(scrollback.texts == ["progress 99%", "XYcdef", "line", "keep", "ab語"])
    }

    @Test("CR CR LF and a CR split across appends")
    func carriageReturnSplit() {
        var scrollback = Scrollback()
        scrollback.append("abc\r")
        scrollback.append("\r\nxyz\r")
        scrollback.append("Q")
        #expect(scrollback.texts == ["abc", "Qyz"])
    }

    @Test("tabs go to the next multiple of 8 columns")
    func tabs() {
        var scrollback = Scrollback()
        scrollback.append("a\tb\n\tc\n12345678\td\nééé\tx\nabcdefgh\rab\tX\n")
        #expect(scrollback.texts == ["a       b", "        c", "12345678        d", "ééé     x", "abcdefghX"])
    }

    @Test("eviction keeps absolute line numbers stable")
    func eviction() throws {
        var scrollback = Scrollback(capacity: 3)
        for k in 0..<10 { scrollback.append("line \(k)\n") }
        #expect(scrollback.count == 3)
        #expect(scrollback.firstLineNumber == 7)
        #expect(scrollback.lastLineNumber == 9)
        #expect(scrollback.line(at: 6) == nil)
        #expect(try #require(scrollback.line(at: 8)).text == "line 8")
        #expect(scrollback.texts == ["line 7", "line 8", "line 9"])
        #expect(scrollback.totalBytes == 18)
        scrollback.append("partial")
        #expect(scrollback.lastLineNumber == 10)
        #expect(try #require(scrollback.line(at: 10)).text == "partial")
    }

    @Test("SGR styles text, runs are stored only on styled lines, style carries over lines")
    func styles() throws {
        var scrollback = Scrollback()
        scrollback.append("plain\n")
        scrollback.append("a\u{1B}[1;31mred\u{1B}[0mb\n")
        scrollback.append("\u{1B}[38;5;208mx\ny\u{1B}[m\n")
        scrollback.append("\u{1B}[48;2;1;2;3;4mz\u{1B}[24;22m\u{1B}[0m\n")
        let plain = try #require(scrollback.line(at: 0))
        #expect(plain.styleRuns.isEmpty)
        let red = try #require(scrollback.line(at: 1))
        #expect(red.text == "aredb")
        let bold = ConsoleStyle(foreground: .ansi(1), attributes: .bold)
        #expect(red.styleRuns == [ConsoleStyleRun(utf8Offset: 1, style: bold), ConsoleStyleRun(utf8Offset: 4, style: .plain)])
        #expect(red.segments.map(\.text) == ["a", "red", "b"])
        #expect(red.style(atUTF8Offset: 2) == bold)
        let orange = ConsoleStyle(foreground: .indexed(208))
        #expect(try #require(scrollback.line(at: 2)).styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: orange)])
        #expect(try #require(scrollback.line(at: 3)).styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: orange)])
        let rgb = ConsoleStyle(background: .rgb(1, 2, 3), attributes: .underline)
        #expect(try #require(scrollback.line(at: 4)).styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: rgb)])
        #expect(scrollback.currentStyle == .plain)
    }

    @Test("an SGR split across appends still applies")
    func splitSGR() throws {
        var scrollback = Scrollback()
        scrollback.append("\u{1B}")
        scrollback.append("[3")
        scrollback.append("2mgreen\n")
        let line = try #require(scrollback.line(at: 0))
        #expect(line.text == "green")
        #expect(line.styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: ConsoleStyle(foreground: .ansi(2)))])
    }

    @Test("overwriting with another style restyles only the overwritten characters")
    func styledOverwrite() throws {
        var scrollback = Scrollback()
        scrollback.append("abcdef\r\u{1B}[31mXY\u{1B}[0m\n")
        let line = try #require(scrollback.line(at: 0))
        #expect(line.text == "XYcdef")
        #expect(line.segments.map(\.text) == ["XY", "cdef"])
        #expect(line.segments.map(\.style) == [ConsoleStyle(foreground: .ansi(1)), .plain])
    }

    @Test("a line longer than the limit is split, a 10 MB line without newline stays bounded")
    func longLine() throws {
        var scrollback = Scrollback(capacity: 100)
        let chunk = [UInt8](repeating: 0x78, count: 1 << 20)
        for _ in 0..<10 { scrollback.append(chunk) }
        // 160 pieces of 64 KiB: 100 completed lines kept plus the last, still open, piece.
        #expect(scrollback.count == 101)
        for number in scrollback.lineNumbers {
            #expect(try #require(scrollback.line(at: number)).utf8.count <= ConsoleLimits.maxLineBytes)
        }
        #expect(scrollback.lastLineNumber == (10 << 20) / ConsoleLimits.maxLineBytes - 1)
        #expect(scrollback.totalBytes == 101 * ConsoleLimits.maxLineBytes)
        #expect(scrollback.hasPartialLine)
    }

    @Test("long lines split at a character boundary")
    func splitAtCharacter() throws {
        var scrollback = Scrollback()
        let text = String(repeating: "€", count: ConsoleLimits.maxLineBytes / 3 + 10)  // 3 bytes each
        scrollback.append(text + "\n")
        #expect(scrollback.count == 2)
        #expect(scrollback.texts.joined() == text)
        #expect(!scrollback.texts.joined().contains("\u{FFFD}"))
    }

    @Test("a CR on a line too long to rewrite ends the line instead")
    func longLineCarriageReturn() {
        var scrollback = Scrollback()
        let long = String(repeating: "a", count: ConsoleLimits.maxRewritableLineBytes + 1)
        scrollback.append(long + "\rb\n")
        scrollback.append(long + "\r\nc\n")
        #expect(scrollback.texts == [long, "b", long, "c"])
    }

    @Test("20,000 lines of 100 characters into a 10,000-line scrollback")
    func memory() {
        var scrollback = Scrollback(capacity: 10_000)
        let line = Array((String(repeating: "x", count: 99) + "\n").utf8)
        for _ in 0..<20_000 { scrollback.append(line) }
        #expect(scrollback.count == 10_000)
        #expect(scrollback.totalBytes == 990_000)
        #expect(scrollback.firstLineNumber == 10_000)
        // Text is packed in shared chunks: well under 2 MB for 990 KB of text.
        #expect(scrollback.memoryBytes < 2_000_000)
    }

    @Test("ConsoleEngine sanitizes and appends")
    func engine() throws {
        var engine = ConsoleEngine(scrollbackLines: 50)
        engine.feed(Array("boot\u{1B}]0;pwned\u{07} ok\r\n\u{1B}[32mgreen\u{1B}[0m\u{1B}[?1049h\n".utf8) + [0xE2, 0x82])
        engine.feed([0xAC, 0xFF, 0x0A])
        engine.feed([0xE2])
        engine.finish()
        #expect(engine.scrollback.texts == ["boot ok", "green", "€\u{FFFD}", "\u{FFFD}"])
        #expect(try #require(engine.scrollback.line(at: 1)).isStyled)
    }

    @Test("ConsoleEngine gives the same lines as appending sanitized bytes, in any chunking")
    func engineMatchesAppend() throws {
        let corpus = ConsoleCorpus.generate(bytes: 400_000, seed: 11)
        var reference = Scrollback(capacity: 100_000)
        reference.append(ConsoleSanitizer.sanitize(corpus))
        var engine = ConsoleEngine(scrollbackLines: 100_000)
        var offset = 0
        var step = 1
        while offset < corpus.count {
            let end = min(corpus.count, offset + step)
            engine.feed(Array(corpus[offset..<end]))
            offset = end
            step = step % 997 + 13
        }
        engine.finish()
        #expect(engine.scrollback.lineNumbers == reference.lineNumbers)
        #expect(engine.scrollback.totalBytes == reference.totalBytes)
        for number in reference.lineNumbers {
            let expected = try #require(reference.line(at: number))
            let actual = try #require(engine.scrollback.line(at: number))
            if actual != expected {
                Issue.record("line \(number): \(actual.text.debugDescription) != \(expected.text.debugDescription)")
                return
            }
        }
    }

    @Test("styles of kept lines stay right while styled lines are evicted")
    func styledEviction() throws {
        var scrollback = Scrollback(capacity: 10)
        for k in 0..<5000 {
            scrollback.append(k % 3 == 0 ? "plain \(k)\n" : "\u{1B}[3\(k % 8)mcolour\u{1B}[0m \(k)\n")
        }
        #expect(scrollback.firstLineNumber == 4990)
        for number in scrollback.lineNumbers {
            let line = try #require(scrollback.line(at: number))
            if number % 3 == 0 {
                #expect(line.styleRuns.isEmpty && line.text == "plain \(number)")
            } else {
                #expect(line.text == "colour \(number)")
                #expect(line.styleRuns == [ConsoleStyleRun(utf8Offset: 0, style: ConsoleStyle(foreground: .ansi(UInt8(number % 8)))),
                                           ConsoleStyleRun(utf8Offset: 6, style: .plain)])
            }
        }
    }

    @Test("the scrollback's text is bounded in bytes as well as lines")
    func byteBound() {
        var scrollback = Scrollback(capacity: 10_000)
        let line = [UInt8](repeating: 0x79, count: ConsoleLimits.maxLineBytes - 1) + [0x0A]
        for _ in 0..<600 { scrollback.append(line) }
        #expect(scrollback.totalBytes <= ConsoleLimits.maxScrollbackBytes)
        #expect(scrollback.count < 600)
        #expect(scrollback.lastLineNumber == 599)
        #expect(scrollback.memoryBytes < ConsoleLimits.maxScrollbackBytes + 2 * ConsoleLimits.maxLineBytes * 8)
    }
}
