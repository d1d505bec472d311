/// A deterministic generator of console traffic for benchmarks and tests: plain log lines,
/// colour-heavy lines, non-ASCII text, hostile sequences and invalid UTF-8, mixed in fixed
/// proportions. The same `bytes` and `seed` always give the same output.
public enum ConsoleCorpus {
    /// About `bytes` bytes (exactly `bytes`, truncated at the end) of mixed console output.
    public static func generate(bytes: Int, seed: UInt64 = 1) -> [UInt8] {
        var random = SplitMix(state: seed)
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 512)
        var lineNumber = 0
        while out.count < bytes {
            lineNumber += 1
            let kind = random.next() % 100
            switch kind {
            case 0..<50: plainLine(&out, &random, lineNumber)
            case 50..<75: colourLine(&out, &random, lineNumber)
            case 75..<85: unicodeLine(&out, &random)
            case 85..<95: hostile(&out, &random)
            default: invalidUTF8(&out, &random)
            }
        }
        out.removeLast(out.count - bytes)
        return out
    }

    private static let words: [[UInt8]] = [
        "boot", "kernel", "virtio", "net0", "GET", "/index.html", "200", "error:", "upstream",
        "timed", "out", "memory", "0x7fff0000", "heartbeat", "pci", "irq", "alloc", "page", "ok",
    ].map { Array($0.utf8) }

    private static func plainLine(_ out: inout [UInt8], _ random: inout SplitMix, _ number: Int) {
        out.append(contentsOf: Array("[\(number % 100_000).\(random.next() % 1000)] ".utf8))
        for _ in 0..<(4 + random.next() % 12) {
            out.append(contentsOf: words[Int(random.next() % UInt64(words.count))])
            out.append(0x20)
        }
        if random.next() % 8 == 0 { out.append(0x0D) }
        out.append(0x0A)
    }

    private static func colourLine(_ out: inout [UInt8], _ random: inout SplitMix, _ number: Int) {
        for _ in 0..<(2 + random.next() % 6) {
            switch random.next() % 4 {
            case 0: out.append(contentsOf: Array("\u{1B}[\(31 + random.next() % 7)m".utf8))
            case 1: out.append(contentsOf: Array("\u{1B}[1;38;5;\(random.next() % 256)m".utf8))
            case 2: out.append(contentsOf: Array("\u{1B}[38;2;\(random.next() % 256);\(random.next() % 256);\(random.next() % 256)m".utf8))
            default: out.append(contentsOf: Array("\u{1B}[0m".utf8))
            }
            out.append(contentsOf: words[Int(random.next() % UInt64(words.count))])
            out.append(0x20)
        }
        out.append(contentsOf: Array("\u{1B}[m line \(number)\n".utf8))
    }

    private static let unicode: [[UInt8]] = ["héllo", "日本語", "Ωμέγα", "emoji 🚀", "naïve", "→ ok ✓"].map { Array($0.utf8) }

    private static func unicodeLine(_ out: inout [UInt8], _ random: inout SplitMix) {
        for _ in 0..<(3 + random.next() % 8) {
            out.append(contentsOf: unicode[Int(random.next() % UInt64(unicode.count))])
            out.append(0x20)
        }
        out.append(0x0A)
    }

    private static let attacks: [[UInt8]] = [
        "\u{1B}]0;pwned title\u{07}", "\u{1B}]2;title\u{1B}\\", "\u{1B}]52;c;ZWNobyBwd25lZA==\u{07}",
        "\u{1B}]8;;http://evil.example/\u{1B}\\link\u{1B}]8;;\u{1B}\\", "\u{1B}P+q544e\u{1B}\\", "\u{1B}_apc\u{1B}\\",
        "\u{1B}c", "\u{1B}[?1049h", "\u{1B}[?1000h", "\u{1B}[?2004h", "\u{1B}[6n", "\u{1B}[c", "\u{1B}[2J\u{1B}[H",
        "\u{07}\u{07}\u{00}\u{08}\u{0B}\u{0C}\u{0E}\u{0F}", "\u{1B}[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19m",
        "\u{1B}[99999999999m", "\u{1B}(B\u{1B}#8\u{1B}7\u{1B}8",
    ].map { Array($0.utf8) }

    private static func hostile(_ out: inout [UInt8], _ random: inout SplitMix) {
        for _ in 0..<(1 + random.next() % 4) {
            out.append(contentsOf: attacks[Int(random.next() % UInt64(attacks.count))])
            out.append(contentsOf: words[Int(random.next() % UInt64(words.count))])
        }
        if random.next() % 2 == 0 { out.append(contentsOf: [0x9B, 0x32, 0x4A, 0x9D, 0x30, 0x3B, 0x78, 0x9C]) }  // 8-bit C1
        out.append(0x0A)
    }

    private static let invalid: [[UInt8]] = [
        [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xBF, 0xBF],
        [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xFF], [0xFE], [0xC2, 0x85],
    ]

    private static func invalidUTF8(_ out: inout [UInt8], _ random: inout SplitMix) {
        for _ in 0..<(2 + random.next() % 6) {
            out.append(contentsOf: words[Int(random.next() % UInt64(words.count))])
            out.append(contentsOf: invalid[Int(random.next() % UInt64(invalid.count))])
        }
        out.append(0x0A)
    }
}

/// SplitMix64: a small deterministic pseudo-random generator.
struct SplitMix {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
