import Models
import Testing

@Suite("ConsoleSanitizer: streaming and invariants")
struct ConsoleSanitizerChunkingTests {
    static let samples: [String] = [
        "plain \u{1B}[1;38;5;208mcolour\u{1B}[0m text\r\n",
        "\u{1B}]0;title\u{07}after\u{1B}]52;c;QUJD\u{1B}\\x",
        "\u{1B}P+q544e\u{1B}\\\u{1B}[?1049h\u{1B}[6n\u{1B}c\u{1B}(B日本語🚀",
        "\u{1B}[38:2::1:2:3mrgb\u{1B}[4:3mcurly\u{1B}[m",
    ]

    @Test("a sequence split at every byte boundary gives the same output as one chunk", arguments: samples)
    func everySplit(_ sample: String) {
        let bytes = Array(sample.utf8)
        let whole = sanitize(bytes)
        for cut in 0...bytes.count {
            #expect(sanitize(bytes, splitAt: [cut]) == whole, "split at \(cut)")
        }
        // And one byte at a time.
        #expect(sanitize(bytes, splitAt: Array(0...bytes.count)) == whole)
    }

    @Test("regression (fuzz): an over-long control sequence is abandoned at the same byte in any chunking")
    func longSequenceSplit() {
        let bytes = Array(("\u{1B}[" + String(repeating: "1;", count: 200) + "31mtext\n").utf8)
        let whole = sanitize(bytes)
        #expect(String(decoding: whole, as: UTF8.self).hasSuffix("mtext\n"))
        for cut in 0...bytes.count {
            #expect(sanitize(bytes, splitAt: [cut]) == whole, "split at \(cut)")
        }
        #expect(sanitize(bytes, splitAt: Array(stride(from: 0, to: bytes.count, by: 7))) == whole)
    }

    @Test("an over-long string is abandoned at the same byte in any chunking")
    func longStringSplit() {
        let bytes = Array(("\u{1B}]52;c;" + String(repeating: "QUJD", count: 1100) + "\u{07}after\n").utf8)
        let whole = sanitize(bytes)
        for cut in stride(from: 0, through: bytes.count, by: 97) {
            #expect(sanitize(bytes, splitAt: [cut, cut + 1]) == whole, "split at \(cut)")
        }
    }

    @Test("invalid UTF-8 and C1 bytes split at every boundary")
    func everySplitInvalid() {
        let bytes: [UInt8] = [0x41, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x41, 0xED, 0xA0, 0x80, 0xC2, 0x9B, 0x9B, 0x31, 0x6D, 0xF4, 0x8F, 0xBF, 0xBF]
        let whole = sanitize(bytes)
        for cut in 0...bytes.count {
            for second in cut...bytes.count {
                #expect(sanitize(bytes, splitAt: [cut, second]) == whole, "split at \(cut), \(second)")
            }
        }
    }

    @Test("a generated mixed corpus: same output in random chunks, and the output is safe")
    func corpusChunks() throws {
        let corpus = ConsoleCorpus.generate(bytes: 300_000, seed: 7)
        let whole = sanitize(corpus)
        #expect(ConsoleOutputCheck.violation(in: whole) == nil)
        #expect(String(validating: whole, as: UTF8.self) != nil)
        var offsets: [Int] = []
        var position = 0
        var seed: UInt64 = 12345
        while position < corpus.count {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            position += Int(seed >> 33) % 300 + 1
            offsets.append(min(position, corpus.count))
        }
        #expect(sanitize(corpus, splitAt: offsets) == whole)
        // The corpus really contains what is being dropped.
        #expect(corpus.contains(0x9B))
        #expect(whole.count < corpus.count)
    }

    @Test("ConsoleCorpus is deterministic")
    func corpusDeterministic() {
        #expect(ConsoleCorpus.generate(bytes: 50_000, seed: 3) == ConsoleCorpus.generate(bytes: 50_000, seed: 3))
        #expect(ConsoleCorpus.generate(bytes: 50_000, seed: 3) != ConsoleCorpus.generate(bytes: 50_000, seed: 4))
        #expect(ConsoleCorpus.generate(bytes: 12_345, seed: 1).count == 12_345)
    }

    @Test("pseudo-random bytes give safe output (a quick in-process fuzz)")
    func randomBytes() {
        var seed: UInt64 = 99
        for round in 0..<200 {
            var input: [UInt8] = []
            for _ in 0..<512 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let r = UInt8(truncatingIfNeeded: seed >> 56)
                // Bias towards interesting bytes.
                input.append([r, 0x1B, 0x5B, 0x3B, 0x6D, 0x5D, 0x07, r & 0x3F | 0x30][Int(seed >> 20) % 8])
            }
            let output = sanitize(input, splitAt: [round % 512, (round * 7) % 512])
            if let violation = ConsoleOutputCheck.violation(in: output) {
                Issue.record("round \(round): \(violation)")
                return
            }
        }
    }

    @Test("a 10 MB line without newline passes through, bounded")
    func hugeLine() {
        let line = [UInt8](repeating: 0x61, count: 10 << 20)
        let output = sanitize(line)
        #expect(output.count == line.count)
    }

    @Test("ConsoleOutputCheck rejects what the sanitizer must never emit")
    func checkerRejects() {
        #expect(ConsoleOutputCheck.violation(in: Array("ok \u{1B}[1;31m red\u{1B}[0m\n".utf8)) == nil)
        #expect(ConsoleOutputCheck.violation(in: Array("\u{1B}]0;x\u{07}".utf8)) != nil)
        #expect(ConsoleOutputCheck.violation(in: Array("\u{1B}[?1049h".utf8)) != nil)
        #expect(ConsoleOutputCheck.violation(in: Array("\u{1B}[6n".utf8)) != nil)
        #expect(ConsoleOutputCheck.violation(in: [0x61, 0x9B]) != nil)
        #expect(ConsoleOutputCheck.violation(in: [0xC2, 0x9B]) != nil)
        #expect(ConsoleOutputCheck.violation(in: [0x07]) != nil)
    }
}
