@testable import Models

// Test support for the console engine's differential tests: a digest of everything observable of
// an engine's result, and a generator of hostile traffic that reaches every limit. Both are
// frozen: `ConsoleEngineDifferentialTests` pins digests that the engine produced before its fast
// paths, so changing either changes the reference.

/// FNV-1a over everything observable of a console engine's result: lines (numbers, bytes, style
/// runs), byte count, partial line and current style.
struct ConsoleDigest {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    mutating func add(_ bytes: some Sequence<UInt8>) { for b in bytes { add(b) } }

    mutating func add(_ number: Int) {
        withUnsafeBytes(of: UInt64(bitPattern: Int64(number)).littleEndian) { add($0) }
    }

    mutating func add(_ color: ConsoleColor) {
        switch color {
        case .default: add(UInt8(0))
        case .ansi(let n): add(UInt8(1)); add(n)
        case .indexed(let n): add(UInt8(2)); add(n)
        case .rgb(let r, let g, let b): add(UInt8(3)); add(r); add(g); add(b)
        }
    }

    mutating func add(_ style: ConsoleStyle) {
        add(style.foreground)
        add(style.background)
        add(style.attributes.rawValue)
    }

    mutating func add(_ line: ConsoleLine) {
        add(line.number)
        add(line.utf8.count)
        add(line.utf8)
        add(line.styleRuns.count)
        for run in line.styleRuns {
            add(run.utf8Offset)
            add(run.style)
        }
    }

    /// Digest of every kept line, the byte count and the current style.
    static func of(_ scrollback: Scrollback) -> UInt64 {
        var digest = ConsoleDigest()
        digest.add(scrollback.firstLineNumber)
        digest.add(scrollback.count)
        digest.add(scrollback.totalBytes)
        digest.add(scrollback.hasPartialLine ? 1 : 0)
        digest.add(scrollback.currentStyle)
        scrollback.forEachLine { line in
            digest.add(line)
            return true
        }
        return digest.value
    }

    static func of(_ bytes: [UInt8]) -> UInt64 {
        var digest = ConsoleDigest()
        digest.add(bytes.count)
        digest.add(bytes)
        return digest.value
    }
}

/// Deterministic hostile console traffic that hits every limit and path of the engine: long lines,
/// CR overwrites (styled, multi-byte, longer and shorter than the line), tabs, many style changes
/// per line, long and unterminated sequences and strings, invalid and split UTF-8.
enum ConsoleStress {
    /// The corpus generator's SplitMix64, so both draw the same frozen sequences.
    typealias Random = SplitMix

    static let pieces: [[UInt8]] = [
        "é", "日本", "🚀", "\u{FFFD}", "\u{85}", "\u{A0}", "x", " ", "ab",
        "\u{1B}[0m", "\u{1B}[31m", "\u{1B}[1;4;7m", "\u{1B}[38;5;200m", "\u{1B}[48;2;1;2;3m", "\u{1B}[m",
        "\u{1B}[38:2::10:20:30m", "\u{1B}[4:3m", "\u{1B}[58;5;3m", "\u{1B}[?25l", "\u{1B}[2K", "\u{1B}[1;2 m",
        "\u{1B}]0;title\u{07}", "\u{1B}]8;;x\u{1B}\\", "\u{1B}P1$r\u{1B}\\", "\u{1B}X\u{1B}Y", "\u{1B}(0", "\u{1B}7",
        "\u{18}", "\u{1A}", "\u{7F}", "\u{00}", "\u{08}", "\u{07}",
    ].map { Array($0.utf8) } + [
        [0xC0, 0xAF], [0xE0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90], [0x80], [0xFF], [0xC2, 0x9B], [0x9B, 0x31, 0x6D],
        [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0x1B, 0xE2, 0x82, 0xAC], [0x1B, 0x5B, 0x33, 0xC3, 0xA9],
    ]

    /// About `bytes` bytes of stress traffic.
    static func generate(bytes: Int, seed: UInt64) -> [UInt8] {
        var random = Random(state: seed)
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 80_000)
        while out.count < bytes {
            // Kinds 17-20 are large and rare; kinds 24 and up are short text, line ends and pieces.
            var kind = random.below(64)
            if kind >= 24 { kind = [0, 1, 7, 8, 10, 11, 16, 21][kind % 8] }
            switch kind {
            case 0..<6:  // printable ASCII run
                let length = random.below(40) == 0 ? random.below(3000) : random.below(40)
                for _ in 0..<length { out.append(UInt8(0x20 + random.below(0x5F))) }
                if random.below(4) == 0 { out.append(0x0A) }
            case 6: out.append(0x0D)
            case 7: out.append(0x0A)
            case 8: out.append(contentsOf: [0x0D, 0x0A])
            case 9: out.append(0x09)
            case 10..<16: out.append(contentsOf: pieces[random.below(pieces.count)])
            case 16:  // a CR overwrite with a style, shorter or longer than the line
                out.append(0x0D)
                out.append(contentsOf: Array("\u{1B}[3\(random.below(8))m".utf8))
                for _ in 0..<random.below(30) { out.append(UInt8(0x61 + random.below(26))) }
            case 17:  // a long line: past the CR limit or the line limit
                let length = random.below(8) == 0 ? ConsoleLimits.maxLineBytes + random.below(200) - 100
                                                   : ConsoleLimits.maxRewritableLineBytes + random.below(40) - 20
                let unit: [UInt8] = random.below(2) == 0 ? [0x79] : Array("€".utf8)
                for _ in 0..<(length / unit.count) { out.append(contentsOf: unit) }
            case 18:  // many style changes in one line
                for k in 0..<random.below(1200) {
                    out.append(contentsOf: Array("\u{1B}[3\(k % 8)mz".utf8))
                }
            case 19:  // a long or over-long CSI
                out.append(contentsOf: [0x1B, 0x5B])
                for _ in 0..<random.below(140) { out.append(contentsOf: [0x31, 0x3B]) }
                out.append(0x6D)
            case 20:  // a long or unterminated string
                out.append(contentsOf: [0x1B, 0x5D, 0x32, 0x3B])
                for _ in 0..<random.below(5000) { out.append(UInt8(0x41 + random.below(26))) }
                if random.below(2) == 0 { out.append(0x07) }
            case 21:  // multi-byte text run
                for _ in 0..<random.below(30) { out.append(contentsOf: pieces[random.below(4)]) }
            case 22:  // a random byte
                out.append(UInt8(truncatingIfNeeded: random.next()))
            default:  // a few random bytes biased to structure
                for _ in 0..<random.below(16) {
                    out.append([0x1B, 0x5B, 0x3B, 0x6D, 0x5D, 0x07, 0x0D, 0x0A, 0x09, 0x3A, 0x3F, 0x31, 0xC3, 0xA9, 0x9C, 0x5C][random.below(16)])
                }
            }
        }
        return out
    }

    /// Random bytes, uniform.
    static func uniform(bytes: Int, seed: UInt64) -> [UInt8] {
        var random = Random(state: seed)
        return (0..<bytes).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }
}

extension SplitMix {
    /// A number in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
