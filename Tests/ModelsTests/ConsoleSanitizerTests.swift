import Models
import Testing

/// Sanitizes `input` in one chunk and finishes.
func sanitize(_ input: [UInt8]) -> [UInt8] { ConsoleSanitizer.sanitize(input) }
func sanitize(_ input: String) -> String { String(decoding: sanitize(Array(input.utf8)), as: UTF8.self) }

/// Sanitizes `input` split at the given offsets, with one sanitizer.
func sanitize(_ input: [UInt8], splitAt offsets: [Int]) -> [UInt8] {
    var sanitizer = ConsoleSanitizer()
    var output: [UInt8] = []
    var start = 0
    for offset in offsets + [input.count] where offset >= start {
        sanitizer.sanitize(Array(input[start..<offset]), into: &output)
        start = offset
    }
    sanitizer.finish(into: &output)
    return output
}

let esc = "\u{1B}"

@Suite("ConsoleSanitizer: hostile sequences are dropped")
struct ConsoleSanitizerAttackTests {
    @Test("OSC title, clipboard and hyperlink strings, with BEL and ST", arguments: [
        "\u{1B}]0;pwned\u{07}", "\u{1B}]0;pwned\u{1B}\\", "\u{1B}]1;icon\u{07}", "\u{1B}]2;title\u{07}",
        "\u{1B}]2;title\u{1B}\\", "\u{1B}]52;c;ZWNobyBoaQ==\u{07}", "\u{1B}]52;c;ZWNobyBoaQ==\u{1B}\\",
        "\u{1B}]8;;https://evil.example/\u{07}", "\u{1B}]8;id=1;https://evil.example/\u{1B}\\",
        "\u{1B}]4;1;rgb:ff/00/00\u{07}", "\u{1B}]1337;File=x\u{07}", "\u{1B}]10;?\u{07}",
    ])
    func oscDropped(_ attack: String) {
        #expect(sanitize("before" + attack + "after") == "beforeafter")
    }

    @Test("OSC 8 hyperlink keeps its visible text only")
    func hyperlinkText() {
        #expect(sanitize("\(esc)]8;;http://x/\(esc)\\click\(esc)]8;;\(esc)\\!") == "click!")
    }

    @Test("DCS, APC, PM and SOS strings", arguments: [
        "\u{1B}P+q544e\u{1B}\\", "\u{1B}P1$r0m\u{1B}\\", "\u{1B}Pq#0;2;0;0;0#0~~@@vv\u{1B}\\",
        "\u{1B}_Gf=100;AAAA\u{1B}\\", "\u{1B}^privacy\u{1B}\\", "\u{1B}Xstart of string\u{1B}\\",
        "\u{1B}_apc with bel\u{07}",
    ])
    func stringsDropped(_ attack: String) {
        #expect(sanitize("a" + attack + "b") == "ab")
    }

    @Test("escape sequences: RIS, charsets, DECALN, save/restore, keypad", arguments: [
        "\u{1B}c", "\u{1B}(0", "\u{1B}(B", "\u{1B})0", "\u{1B}#8", "\u{1B}7", "\u{1B}8", "\u{1B}=", "\u{1B}>",
        "\u{1B}D", "\u{1B}E", "\u{1B}M", "\u{1B}H", "\u{1B}Z", "\u{1B}\\", "\u{1B} F", "\u{1B}%G",
    ])
    func escapeSequencesDropped(_ attack: String) {
        #expect(sanitize("x" + attack + "y") == "xy")
    }

    @Test("control sequences other than SGR", arguments: [
        "\u{1B}[?1049h", "\u{1B}[?1049l", "\u{1B}[?1000h", "\u{1B}[?1002h", "\u{1B}[?1006h", "\u{1B}[?2004h",
        "\u{1B}[?25l", "\u{1B}[6n", "\u{1B}[c", "\u{1B}[>c", "\u{1B}[=c", "\u{1B}[5n", "\u{1B}[2J", "\u{1B}[3J",
        "\u{1B}[H", "\u{1B}[10;20H", "\u{1B}[A", "\u{1B}[5B", "\u{1B}[K", "\u{1B}[1;24r", "\u{1B}[4h", "\u{1B}[20h",
        "\u{1B}[21t", "\u{1B}[8;100;100t", "\u{1B}[!p", "\u{1B}[0\"q", "\u{1B}[2 q", "\u{1B}[?1m", "\u{1B}[>4;2m",
        "\u{1B}[1$m", "\u{1B}[=5m", "\u{1B}[12;2$y", "\u{1B}[s", "\u{1B}[u", "\u{1B}[@", "\u{1B}[P", "\u{1B}[X",
    ])
    func csiDropped(_ attack: String) {
        #expect(sanitize("x" + attack + "y") == "xy")
    }

    @Test("8-bit C1 bytes are invalid UTF-8, never controls")
    func rawC1() {
        // 0x9B would be CSI, 0x9D OSC, 0x90 DCS, 0x9C ST in an 8-bit terminal.
        let input: [UInt8] = [0x61, 0x9B, 0x32, 0x4A, 0x9D, 0x30, 0x3B, 0x74, 0x9C, 0x90, 0x62]
        #expect(sanitize(input) == Array("a\u{FFFD}2J\u{FFFD}0;t\u{FFFD}\u{FFFD}b".utf8))
    }

    @Test("UTF-8 encoded C1 control characters are dropped")
    func encodedC1() {
        #expect(sanitize([0x61, 0xC2, 0x9B, 0x32, 0x4A, 0xC2, 0x85, 0xC2, 0xA0, 0x62]) == Array("a2J\u{00A0}b".utf8))
    }

    @Test("C0 controls other than HT, LF, CR are dropped")
    func c0Dropped() {
        var input: [UInt8] = []
        var expected: [UInt8] = []
        for byte in UInt8(0)...0x1F where byte != 0x1B {
            input += [0x61, byte]
            expected += [0x61] + ([0x09, 0x0A, 0x0D].contains(byte) ? [byte] : [])
        }
        input += [0x61, 0x7F, 0x62]
        expected += [0x61, 0x62]
        #expect(sanitize(input) == expected)
    }

    @Test("NUL and BEL floods produce nothing")
    func floods() {
        #expect(sanitize([UInt8](repeating: 0, count: 100_000)).isEmpty)
        #expect(sanitize([UInt8](repeating: 7, count: 100_000)).isEmpty)
        #expect(sanitize([UInt8](repeating: 0x1B, count: 100_000)).isEmpty)
    }

    @Test("CAN and SUB abort a sequence")
    func cancel() {
        #expect(sanitize("\(esc)[31\u{18}x") == "x")
        #expect(sanitize("\(esc)]0;title\u{1A}shown") == "shown")
    }

    @Test("ESC inside a string ends it and starts a new sequence")
    func escInString() {
        #expect(sanitize("\(esc)]0;title\(esc)[1mbold") == "\(esc)[1mbold")
    }

    @Test("an unterminated string is abandoned at the limit and the rest is text")
    func stringLimit() {
        let payload = String(repeating: "A", count: ConsoleLimits.maxStringLength + 10)
        let result = sanitize("\(esc)]52;c;" + payload + "\n")
        // The first maxStringLength bytes (including "52;c;") are swallowed, the rest shows.
        let shown = payload.count + 5 - ConsoleLimits.maxStringLength
        #expect(result == String(repeating: "A", count: shown) + "\n")
    }

    @Test("an endless control sequence is abandoned at the limit")
    func sequenceLimit() {
        let long = "\(esc)[" + String(repeating: "1;", count: 1000) + "m" + "text"
        let result = sanitize(long)
        #expect(result.hasSuffix("mtext"))
        #expect(!result.contains(esc))
    }

    @Test("CR, LF and HT survive inside a sequence; other bytes do not leak")
    func controlsInsideSequence() {
        #expect(sanitize("\(esc)[3\n1mx") == "\n\(esc)[31mx")
        #expect(sanitize("\(esc)[1;\u{07}2Hx") == "x")
    }

    @Test("a high byte inside a sequence aborts it and is decoded as text")
    func highByteAborts() {
        #expect(sanitize("\(esc)[31é") == "é")
    }
}

@Suite("ConsoleSanitizer: SGR kept and normalized")
struct ConsoleSanitizerSGRTests {
    @Test("SGR forms", arguments: [
        ("\u{1B}[m", "\u{1B}[0m"), ("\u{1B}[0m", "\u{1B}[0m"), ("\u{1B}[1;31m", "\u{1B}[1;31m"),
        ("\u{1B}[01;031m", "\u{1B}[1;31m"), ("\u{1B}[;1m", "\u{1B}[0;1m"), ("\u{1B}[38;5;208m", "\u{1B}[38;5;208m"),
        ("\u{1B}[48;2;10;20;30m", "\u{1B}[48;2;10;20;30m"), ("\u{1B}[38:5:208m", "\u{1B}[38;5;208m"),
        ("\u{1B}[38:2::10:20:30m", "\u{1B}[38;2;10;20;30m"), ("\u{1B}[38:2:10:20:30m", "\u{1B}[38;2;10;20;30m"),
        ("\u{1B}[4:3m", "\u{1B}[4m"), ("\u{1B}[4:0m", "\u{1B}[24m"), ("\u{1B}[90;107m", "\u{1B}[90;107m"),
        ("\u{1B}[21;22;23;24;25;27;28;29m", "\u{1B}[21;22;23;24;25;27;28;29m"), ("\u{1B}[39;49m", "\u{1B}[39;49m"),
    ])
    func kept(_ pair: (String, String)) {
        #expect(sanitize("a" + pair.0 + "b") == "a" + pair.1 + "b")
    }

    @Test("invalid SGR parameters are dropped, valid ones kept", arguments: [
        ("\u{1B}[10;31m", "\u{1B}[31m"), ("\u{1B}[38;5;256m", ""), ("\u{1B}[38;5;256;1m", "\u{1B}[1m"),
        ("\u{1B}[38;2;1;2;300m", ""), ("\u{1B}[38;5m", ""), ("\u{1B}[38;2;1;2m", ""), ("\u{1B}[38;7;1m", "\u{1B}[1m"),
        ("\u{1B}[58;5;3m", ""), ("\u{1B}[58;2;1;2;3;4m", "\u{1B}[4m"), ("\u{1B}[99999999999m", ""),
        ("\u{1B}[50;60;70;80m", ""), ("\u{1B}[108m", ""), ("\u{1B}[1:2m", ""), ("\u{1B}[31;9999m", "\u{1B}[31m"),
    ])
    func normalized(_ pair: (String, String)) {
        #expect(sanitize("a" + pair.0 + "b") == "a" + pair.1 + "b")
    }

    @Test("more than the maximum number of parameters: the rest are ignored")
    func tooManyParameters() {
        let parameters = (1...40).map { _ in "1" }.joined(separator: ";")
        let result = sanitize("\(esc)[\(parameters)m")
        #expect(result == "\(esc)[" + (1...ConsoleLimits.maxParameters).map { _ in "1" }.joined(separator: ";") + "m")
    }

    @Test("SGR with a private marker or intermediates is not SGR")
    func notSGR() {
        #expect(sanitize("\(esc)[?31mx\(esc)[31 mx\(esc)[31!mx") == "xxx")
    }
}

@Suite("ConsoleSanitizer: UTF-8")
struct ConsoleSanitizerUTF8Tests {
    static let cases: [([UInt8], String)] = [
        ([0xC0, 0xAF], "\u{FFFD}\u{FFFD}"),                      // overlong '/'
        ([0xE0, 0x80, 0xAF], "\u{FFFD}\u{FFFD}\u{FFFD}"),        // overlong
        ([0xF0, 0x80, 0x80, 0xAF], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
        ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),        // surrogate D800
        ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),  // > U+10FFFF
        ([0xF5, 0x80], "\u{FFFD}\u{FFFD}"), ([0xFF, 0xFE], "\u{FFFD}\u{FFFD}"),
        ([0x80, 0xBF], "\u{FFFD}\u{FFFD}"),                      // stray continuations
        ([0xE2, 0x82, 0x41], "\u{FFFD}A"),                       // truncated, maximal subpart
        ([0xF0, 0x9F, 0x98, 0x41], "\u{FFFD}A"),
        ([0xE2, 0x82], "\u{FFFD}"),                              // truncated at the end
        ([0xF0, 0x9F, 0x9A, 0x80, 0xE2, 0x82, 0xAC], "🚀€"),
        ([0xE2, 0x1B, 0x5B, 0x31, 0x6D], "\u{FFFD}\u{1B}[1m"),   // ESC ends a partial character
        ([0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62], "a\u{FFFD}\u{FFFD}\u{FFFD}b"),
    ]

    @Test("invalid UTF-8 becomes U+FFFD per maximal subpart", arguments: cases)
    func repaired(_ pair: ([UInt8], String)) {
        #expect(sanitize(pair.0) == Array(pair.1.utf8))
    }

    @Test("a partial character at the end of a chunk waits for the next chunk; finish flushes it")
    func partialCharacter() {
        var sanitizer = ConsoleSanitizer()
        var output: [UInt8] = []
        sanitizer.sanitize([0x41, 0xE2, 0x82], into: &output)
        #expect(output == [0x41])
        sanitizer.sanitize([0xAC], into: &output)
        #expect(output == Array("A€".utf8))
        sanitizer.sanitize([0xF0, 0x9F], into: &output)
        sanitizer.finish(into: &output)
        #expect(output == Array("A€\u{FFFD}".utf8))
    }

    @Test("every byte value alone, and every pair, gives valid safe output")
    func allPairs() {
        for a in 0...255 {
            for b in stride(from: 0, through: 255, by: 1) {
                let output = sanitize([UInt8(a), UInt8(b), 0x41])
                if let violation = ConsoleOutputCheck.violation(in: output) {
                    Issue.record("\(a) \(b): \(violation)")
                    return
                }
            }
        }
    }
}
