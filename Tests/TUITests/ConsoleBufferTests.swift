import Testing
@testable import TUI

@Suite struct ConsoleBufferTests {
    func texts(_ b: ConsoleBuffer) -> [String] {
        (b.firstLineNumber..<b.endLineNumber).compactMap { b.line($0)?.text }
    }

    @Test func linesAndPartialLine() {
        var b = ConsoleBuffer(capacity: 100)
        b.append(Array("one\r\ntwo\nthr".utf8))
        #expect(texts(b) == ["one", "two", "thr"])
        b.append(Array("ee\n".utf8))
        #expect(texts(b) == ["one", "two", "three"])
    }

    @Test func sgrColoursKeptOtherSequencesDropped() throws {
        var b = ConsoleBuffer(capacity: 10)
        // red "err", reset, OSC title, clear screen, alt screen, DCS, bold "ok"
        b.append(Array("\u{1B}[31merr\u{1B}[0m \u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[?1049h\u{1B}P1$qm\u{1B}\\\u{1B}[1mok\n".utf8))
        let line = try #require(b.line(0))
        #expect(line.text == "err ok")
        #expect(line.runs.first == StyleRun(length: 3, style: Style(foreground: .indexed(1))))
        #expect(line.runs.last?.style.attributes == .bold)
    }

    @Test func extendedColours() throws {
        var b = ConsoleBuffer(capacity: 10)
        b.append(Array("\u{1B}[38;5;202ma\u{1B}[48;2;1;2;3mb\u{1B}[92mc\n".utf8))
        let runs = try #require(b.line(0)).runs
        #expect(runs[0].style.foreground == .indexed(202))
        #expect(runs[1].style.background == .rgb(1, 2, 3))
        #expect(runs[2].style.foreground == .indexed(10))
    }

    @Test func invalidUTF8AndControlsAreSafe() throws {
        var b = ConsoleBuffer(capacity: 10)
        b.append([0x61, 0xFF, 0x62, 0xC3, 0x41, 0x07, 0x00, 0xE2, 0x82, 0xAC, 0x0A])
        #expect(try #require(b.line(0)).text == "a\u{FFFD}b\u{FFFD}A€")
    }

    @Test func unterminatedOSCIsBounded() {
        var b = ConsoleBuffer(capacity: 10)
        b.append(Array("\u{1B}]0;".utf8) + Array(repeating: UInt8(ascii: "x"), count: ConsoleSanitizer.maxStringBytes + 10) + Array("\nvisible\n".utf8))
        #expect(texts(b).contains("visible"))
    }

    @Test func carriageReturnOverwritesAndTabsExpand() {
        var b = ConsoleBuffer(capacity: 10)
        b.append(Array("progress 10%\rprogress 99%\na\tb\nxy\u{08}z\n".utf8))
        #expect(texts(b) == ["progress 99%", "a       b", "xz"])
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

    @Test func longLinesAreSplit() {
        var b = ConsoleBuffer(capacity: 10)
        b.append(Array(repeating: UInt8(ascii: "x"), count: ConsoleBuffer.maxLineScalars + 5))
        #expect(b.line(0)?.scalarCount == ConsoleBuffer.maxLineScalars)
        #expect(b.line(1)?.scalarCount == 5)
    }

    @Test func matchCountTracksAppendsAndEviction() {
        var b = ConsoleBuffer(capacity: 3)
        b.setQuery("err")
        b.append(Array("error 1\nok\nERROR 2\n".utf8))
        #expect(b.matchCount == 2)  // smart case: lowercase query matches both
        b.append(Array("x\ny\n".utf8))
        #expect(b.matchCount == 1)  // "error 1" evicted
        b.append(Array("partial err".utf8))
        #expect(b.matchCount == 2)  // the partial line counts too
        b.setQuery("ERR")
        #expect(b.matchCount == 1)  // uppercase: case-sensitive
        b.setQuery(nil)
        #expect(b.matchCount == 0)
    }
}
