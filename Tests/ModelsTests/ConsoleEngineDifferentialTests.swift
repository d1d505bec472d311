@testable import Models
import Testing

/// Feeds `input` to a fresh engine in pieces of `sizes` bytes (cycling), finishes, and returns the
/// digest of its scrollback.
func engineDigest(_ input: [UInt8], capacity: Int, sizes: [Int]) -> UInt64 {
    var engine = ConsoleEngine(scrollbackLines: capacity)
    input.withUnsafeBytes { all in
        var offset = 0
        var k = 0
        while offset < all.count {
            let end = min(all.count, offset + sizes[k % sizes.count])
            engine.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
            offset = end
            k += 1
        }
    }
    engine.finish()
    return ConsoleDigest.of(engine.scrollback)
}

/// Chunk sizes from `seed`: mostly small (1-16 bytes, where the per-byte paths run), sometimes
/// up to 70,000 bytes (past the line length limit).
func randomSizes(seed: UInt64, count: Int = 997) -> [Int] {
    var random = ConsoleStress.Random(state: seed)
    return (0..<count).map { _ in
        switch random.below(4) {
        case 0: return 1 + random.below(16)
        case 1: return 1 + random.below(300)
        case 2: return 1 + random.below(5000)
        default: return 1 + random.below(70_000)
        }
    }
}

/// Sanitizes `input` in pieces of `sizes` bytes (cycling) with one sanitizer.
func sanitized(_ input: [UInt8], sizes: [Int]) -> [UInt8] {
    var sanitizer = ConsoleSanitizer()
    var output: [UInt8] = []
    input.withUnsafeBytes { all in
        var offset = 0
        var k = 0
        while offset < all.count {
            let end = min(all.count, offset + sizes[k % sizes.count])
            sanitizer.sanitize(UnsafeRawBufferPointer(rebasing: all[offset..<end]), into: &output)
            offset = end
            k += 1
        }
    }
    sanitizer.finish(into: &output)
    return output
}

/// The start offsets of the characters of sanitized `bytes`: every byte starts a piece except
/// UTF-8 continuation bytes, so each character (and each byte of an SGR) is appended on its own.
func characterOffsets(_ bytes: [UInt8]) -> [Int] {
    bytes.indices.filter { bytes[$0] & 0xC0 != 0x80 }
}

@Suite("ConsoleEngine: fast paths against references")
struct ConsoleEngineDifferentialTests {
    /// An input and the digests the engine gave for it before its fast paths (text scanned a word
    /// at a time, text appended with one copy, parameters inline, lines stored behind one
    /// reference): sanitized bytes; a 100-line scrollback appended the sanitized bytes; an
    /// engine with 10,000 lines; an engine with 100 lines.
    struct Pinned: Sendable, CustomStringConvertible {
        var name: String
        var input: @Sendable () -> [UInt8]
        var sanitized: UInt64
        var appended100: UInt64
        var engine: UInt64
        var engine100: UInt64
        var description: String { name }
    }

    static let pinned: [Pinned] = [
        Pinned(name: "corpus, 2 MB, seed 1 (the benchmark's)", input: { ConsoleCorpus.generate(bytes: 2_000_000, seed: 1) },
               sanitized: 0x020b_dd27_8477_6feb, appended100: 0xffb0_24d8_0d12_0ae4,
               engine: 0x01b4_f2cb_7c71_7db6, engine100: 0xffb0_24d8_0d12_0ae4),
        Pinned(name: "corpus, 1 MB, seed 9", input: { ConsoleCorpus.generate(bytes: 1_000_000, seed: 9) },
               sanitized: 0x1c7b_4545_e50a_7762, appended100: 0x5c72_cea0_3c69_8c37,
               engine: 0xe62d_0363_01e2_981a, engine100: 0x5c72_cea0_3c69_8c37),
        Pinned(name: "stress, 1 MB, seed 2", input: { ConsoleStress.generate(bytes: 1_000_000, seed: 2) },
               sanitized: 0x644d_bdf9_1ce8_f4ca, appended100: 0x71b6_a372_2f0a_4f46,
               engine: 0x292c_335d_94be_f0fd, engine100: 0x71b6_a372_2f0a_4f46),
        Pinned(name: "uniform random bytes, 300 KB, seed 3", input: { ConsoleStress.uniform(bytes: 300_000, seed: 3) },
               sanitized: 0x11c2_8c15_e08c_7b3e, appended100: 0xc2f2_dc3f_6dc1_a2bb,
               engine: 0x20a5_aa7c_ae21_6f5a, engine100: 0xc2f2_dc3f_6dc1_a2bb),
    ]

    @Test("the results equal those of the engine before the fast paths, in any chunking", arguments: pinned)
    func pinnedDigests(_ pinned: Pinned) {
        let input = pinned.input()
        let clean = ConsoleSanitizer.sanitize(input)
        #expect(ConsoleDigest.of(clean) == pinned.sanitized)
        var scrollback = Scrollback(capacity: 100)
        scrollback.append(clean)
        #expect(ConsoleDigest.of(scrollback) == pinned.appended100)
        #expect(engineDigest(input, capacity: 10_000, sizes: [64 << 10]) == pinned.engine)
        #expect(engineDigest(input, capacity: 10_000, sizes: randomSizes(seed: 17)) == pinned.engine)
        #expect(engineDigest(input, capacity: 100, sizes: [64 << 10]) == pinned.engine100)
    }

    static let inputs: [String] = ["corpus", "stress", "uniform"]

    static func input(_ name: String, bytes: Int, seed: UInt64) -> [UInt8] {
        switch name {
        case "corpus": ConsoleCorpus.generate(bytes: bytes, seed: seed)
        case "stress": ConsoleStress.generate(bytes: bytes, seed: seed)
        default: ConsoleStress.uniform(bytes: bytes, seed: seed)
        }
    }

    @Test("fast paths = per-byte paths: random chunks give what one byte per call gives", arguments: inputs)
    func chunksEqualBytes(_ name: String) {
        for seed: UInt64 in [5, 6] {
            let input = Self.input(name, bytes: 200_000, seed: seed)
            let bytewise = engineDigest(input, capacity: 10_000, sizes: [1])
            let bytewiseClean = sanitized(input, sizes: [1])
            for chunking: UInt64 in [1, 2, 3] {
                let sizes = randomSizes(seed: seed &* 31 &+ chunking)
                #expect(engineDigest(input, capacity: 10_000, sizes: sizes) == bytewise, "seed \(seed), chunking \(chunking)")
                #expect(sanitized(input, sizes: sizes) == bytewiseClean, "seed \(seed), chunking \(chunking)")
            }
            // And the small scrollback (eviction on every line).
            #expect(engineDigest(input, capacity: 7, sizes: randomSizes(seed: seed)) == engineDigest(input, capacity: 7, sizes: [1]))
        }
    }

    @Test("bulk appends = one character per append, and = the engine", arguments: inputs)
    func appendsEqualCharacters(_ name: String) {
        let input = Self.input(name, bytes: 200_000, seed: 8)
        let clean = ConsoleSanitizer.sanitize(input)
        var whole = Scrollback(capacity: 10_000)
        whole.append(clean)
        var pieces = Scrollback(capacity: 10_000)
        let offsets = characterOffsets(clean) + [clean.count]
        clean.withUnsafeBytes { all in
            for k in 0..<(offsets.count - 1) {
                pieces.append(UnsafeRawBufferPointer(rebasing: all[offsets[k]..<offsets[k + 1]]))
            }
        }
        #expect(ConsoleDigest.of(pieces) == ConsoleDigest.of(whole))
        #expect(engineDigest(input, capacity: 10_000, sizes: [64 << 10]) == ConsoleDigest.of(whole))
    }

    @Test("the stress input reaches the limits it is meant to")
    func stressCoverage() {
        var engine = ConsoleEngine(scrollbackLines: 100_000)
        engine.feed(ConsoleStress.generate(bytes: 1_000_000, seed: 2))
        engine.finish()
        var longest = 0, mostRuns = 0, styled = 0
        engine.scrollback.forEachLine { line in
            longest = max(longest, line.utf8.count)
            mostRuns = max(mostRuns, line.styleRuns.count)
            if line.isStyled { styled += 1 }
            return true
        }
        #expect(longest == ConsoleLimits.maxLineBytes)
        #expect(mostRuns == ConsoleLimits.maxStyleRunsPerLine)
        #expect(styled > 100 && engine.scrollback.count > 500)
    }
}
