import CNCursesW
import Testing
@testable import TUI

/// The parts of the driver that need no terminal: key decoding, colour mapping, capability detection.
@Suite struct NCursesDriverUnitTests {
    private func decode(_ bytes: String) -> [TerminalEvent] {
        var d = TerminalInputDecoder()
        return d.decode(bytes.unicodeScalars.map { .character($0.value) })
    }

    @Test func escapeSequencesNcursesPassesThroughAreDecoded() {
        #expect(decode("\u{1b}[1~") == [.key(.home)])
        #expect(decode("\u{1b}[4~") == [.key(.end)])
        #expect(decode("\u{1b}[H\u{1b}[F") == [.key(.home), .key(.end)])
        #expect(decode("\u{1b}[5~\u{1b}[6~") == [.key(.pageUp), .key(.pageDown)])
        #expect(decode("\u{1b}[2~\u{1b}[3~") == [.key(.insert), .key(.delete)])
        #expect(decode("\u{1b}[15~\u{1b}[24~") == [.key(.function(5)), .key(.function(12))])
        #expect(decode("\u{1b}OP\u{1b}OS") == [.key(.function(1)), .key(.function(4))])
        #expect(decode("\u{1b}[[A\u{1b}[[E") == [.key(.function(1)), .key(.function(5))])
        #expect(decode("\u{1b}[1;5A\u{1b}[Z") == [.key(.up), .key(.backTab)])
    }

    @Test func unknownSequencesAreDroppedNotTyped() {
        #expect(decode("\u{1b}[?25hx") == [.key(.character("x"))])
        #expect(decode("\u{1b}[I\u{1b}[O") == [])
        #expect(decode("\u{1b}[99~") == [])
    }

    @Test func mouseReportTailIsDroppedWhenMouseIsOff() {
        var d = TerminalInputDecoder()
        let tail: [RawInput] = "0;5;3Mx".unicodeScalars.map { .character($0.value) }
        #expect(d.decode([.mouseReportStart] + tail) == [.key(.character("x"))])
        #expect(d.decode([.mouseReportStart, .character(0x31)]) == [])
        #expect(d.decode([.character(0x6D), .character(0x79)]) == [.key(.character("y"))])
    }

    @Test func controlsAndCharacters() {
        #expect(decode("\u{1d}") == [.key(.control("]"))])
        #expect(decode("\u{01}\u{1a}") == [.key(.control("a")), .key(.control("z"))])
        #expect(decode("\r\n\t") == [.key(.enter), .key(.enter), .key(.tab)])
        #expect(decode("\u{7f}\u{08}") == [.key(.backspace), .key(.backspace)])
        #expect(decode("é日") == [.key(.character("é")), .key(.character("日"))])
        #expect(decode("\u{9b}") == [])
    }

    @Test func loneEscapeAndAltCharacter() {
        #expect(decode("\u{1b}") == [.key(.escape)])
        #expect(decode("\u{1b}\u{1b}") == [.key(.escape), .key(.escape)])
        #expect(decode("\u{1b}x") == [.key(.escape), .key(.character("x"))])
    }

    @Test func sequenceCutAtEndOfReadWaitsThenCompletes() {
        var d = TerminalInputDecoder()
        #expect(d.decode([.character(27), .character(91), .character(49)]) == [])
        #expect(d.hasPending)
        #expect(d.decode([.character(126)]) == [.key(.home)])
        #expect(!d.hasPending)
        #expect(d.decode([.character(27), .character(79)]) == [])
        #expect(d.flush() == [.key(.escape), .key(.character("O"))])
        #expect(!d.hasPending)
    }

    @Test func ncursesKeyCodesIncludingTerminalVariants() {
        #expect(TerminalInputDecoder.key(forCode: KEY_FIND) == .home)
        #expect(TerminalInputDecoder.key(forCode: KEY_SELECT) == .end)
        #expect(TerminalInputDecoder.key(forCode: KEY_HOME) == .home)
        #expect(TerminalInputDecoder.key(forCode: KEY_PPAGE) == .pageUp)
        #expect(TerminalInputDecoder.key(forCode: KEY_BTAB) == .backTab)
        #expect(TerminalInputDecoder.key(forCode: KEY_BACKSPACE) == .backspace)
        #expect(TerminalInputDecoder.key(forCode: unitop_key_f(5)) == .function(5))
        #expect(TerminalInputDecoder.key(forCode: unitop_key_f(17)) == .function(5))
        var d = TerminalInputDecoder()
        #expect(d.decode([.character(27), .keyCode(KEY_UP)]) == [.key(.up)])
        #expect(d.decode([.namedKey("kcbt2"), .namedKey("kUP5"), .namedKey("kxIN")]) == [.key(.backTab), .key(.up)])
    }

    @Test func colourMappingDownTo256And16And8() {
        #expect(ColorMapper.nearest256(r: 255, g: 0, b: 0) == 196)
        #expect(ColorMapper.nearest256(r: 0, g: 0, b: 0) == 16)
        #expect(ColorMapper.nearest256(r: 128, g: 128, b: 128) == 244)
        let m256 = ColorMapper(colors: 256, colorPairs: 65536)
        #expect(m256.index(for: .rgb(255, 0, 0)) == 196)
        #expect(m256.index(for: .indexed(33)) == 33)
        #expect(m256.index(for: .default) == -1)
        let m16 = ColorMapper(colors: 16, colorPairs: 256)
        #expect(m16.index(for: .rgb(255, 0, 0)) == 9)
        #expect(m16.index(for: .indexed(12)) == 12)
        let m8 = ColorMapper(colors: 8, colorPairs: 64)
        #expect(m8.index(for: .rgb(255, 0, 0)) == 1)
        #expect(m8.index(for: .indexed(9)) == 1)
        #expect(m8.index(for: .indexed(8)) == 7)
        let mono = ColorMapper(colors: 0, colorPairs: 0)
        #expect(mono.index(for: .indexed(1)) == -1)
    }

    @Test func pairsAreCachedAndReusedWhenExhausted() {
        var m = ColorMapper(colors: 256, colorPairs: 3)  // pairs 1 and 2 usable
        var inits: [[Int]] = []
        let red = Style(foreground: .indexed(196))
        let p1 = m.pair(for: red) { inits.append([$0, $1, $2]) }
        #expect(p1 == 1)
        #expect(m.pair(for: red) { inits.append([$0, $1, $2]) } == 1)
        let blue = Style(foreground: .indexed(21), background: .indexed(0))
        #expect(m.pair(for: blue) { inits.append([$0, $1, $2]) } == 2)
        #expect(inits == [[1, 196, -1], [2, 21, 0]])
        // Exhausted: a darker red reuses the red pair, no new init_pair.
        #expect(m.pair(for: Style(foreground: .indexed(160))) { inits.append([$0, $1, $2]) } == 1)
        #expect(inits.count == 2)
        #expect(m.pair(for: .plain) { _, _, _ in } == 0)
        var mono = ColorMapper(colors: 0, colorPairs: 0)
        #expect(mono.pair(for: red) { _, _, _ in Issue.record("monochrome allocates no pair") } == 0)
    }

    @Test func capabilities() {
        #expect(TerminalCapabilitiesDetector.detect(environment: [:], hasColors: true, colorCount: 256, codeset: "UTF-8")
                == TerminalCapabilities(colors: 256, unicode: true))
        #expect(TerminalCapabilitiesDetector.colorLevel(environment: ["NO_COLOR": ""], hasColors: true, colorCount: 256) == 0)
        #expect(TerminalCapabilitiesDetector.colorLevel(environment: [:], hasColors: true, colorCount: 88) == 16)
        #expect(TerminalCapabilitiesDetector.colorLevel(environment: [:], hasColors: true, colorCount: 8) == 8)
        #expect(TerminalCapabilitiesDetector.colorLevel(environment: [:], hasColors: false, colorCount: -1) == 0)
        #expect(TerminalCapabilitiesDetector.isUTF8(codeset: "utf8"))
        #expect(!TerminalCapabilitiesDetector.isUTF8(codeset: "ANSI_X3.4-1968"))
    }
}
