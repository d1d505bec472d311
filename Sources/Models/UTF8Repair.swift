/// Incremental UTF-8 validation for ``ConsoleSanitizer``: a character may be split across chunks;
/// every ill-formed sequence becomes one U+FFFD per maximal subpart (the Unicode "substitution of
/// maximal subparts" practice): overlongs, surrogates, code points above U+10FFFF, stray
/// continuation bytes and truncated sequences. C1 control characters (U+0080-U+009F), which some
/// terminals execute even when UTF-8 encoded, are dropped.
struct UTF8Repair: Sendable {
    /// Bytes of the character so far, the first in the lowest byte.
    private var pending: UInt32 = 0
    private var pendingCount: UInt8 = 0
    /// Continuation bytes still needed.
    private var remaining: UInt8 = 0
    /// Allowed range of the next byte.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// The UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER.
    static let replacement: (UInt8, UInt8, UInt8) = (0xEF, 0xBF, 0xBD)

    /// True while a character has started but is not complete.
    var isPending: Bool { remaining != 0 }

    static func appendReplacement(to output: inout some ConsoleSanitizerSink) {
        withUnsafeBytes(of: replacement) { output.text($0) }
    }

    /// Length of the complete, valid, non-C1 character at `base + index` (`index < end`), or 0
    /// when it is invalid, a C1 control or does not end before `end`.
    @inline(__always)
    static func completeLength(_ base: UnsafeRawPointer, at index: Int, end: Int) -> Int {
        let b0 = base.load(fromByteOffset: index, as: UInt8.self)
        let available = end - index
        if b0 < 0xC2 { return 0 }
        if b0 < 0xE0 {
            guard available >= 2 else { return 0 }
            let b1 = base.load(fromByteOffset: index + 1, as: UInt8.self)
            // C2 80...C2 9F are the C1 controls.
            if b1 & 0xC0 != 0x80 || (b0 == 0xC2 && b1 < 0xA0) { return 0 }
            return 2
        }
        if b0 < 0xF0 {
            guard available >= 3 else { return 0 }
            let b1 = base.load(fromByteOffset: index + 1, as: UInt8.self)
            let b2 = base.load(fromByteOffset: index + 2, as: UInt8.self)
            let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            if b1 < low || b1 > high || b2 & 0xC0 != 0x80 { return 0 }
            return 3
        }
        if b0 < 0xF5 {
            guard available >= 4 else { return 0 }
            let b1 = base.load(fromByteOffset: index + 1, as: UInt8.self)
            let b2 = base.load(fromByteOffset: index + 2, as: UInt8.self)
            let b3 = base.load(fromByteOffset: index + 3, as: UInt8.self)
            let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            if b1 < low || b1 > high || b2 & 0xC0 != 0x80 || b3 & 0xC0 != 0x80 { return 0 }
            return 4
        }
        return 0
    }

    /// Starts a character with `byte` (>= 0x80). An invalid lead byte becomes U+FFFD at once.
    mutating func start(_ byte: UInt8, into output: inout some ConsoleSanitizerSink) {
        switch byte {
        case 0xC2...0xDF: begin(byte, remaining: 1, lower: 0x80, upper: 0xBF)
        case 0xE0: begin(byte, remaining: 2, lower: 0xA0, upper: 0xBF)
        case 0xED: begin(byte, remaining: 2, lower: 0x80, upper: 0x9F)  // no surrogates
        case 0xE1...0xEF: begin(byte, remaining: 2, lower: 0x80, upper: 0xBF)
        case 0xF0: begin(byte, remaining: 3, lower: 0x90, upper: 0xBF)  // no overlongs
        case 0xF1...0xF3: begin(byte, remaining: 3, lower: 0x80, upper: 0xBF)
        case 0xF4: begin(byte, remaining: 3, lower: 0x80, upper: 0x8F)  // <= U+10FFFF
        default: Self.appendReplacement(to: &output)  // 80-C1, F5-FF
        }
    }

    private mutating func begin(_ byte: UInt8, remaining: UInt8, lower: UInt8, upper: UInt8) {
        pending = UInt32(byte)
        pendingCount = 1
        self.remaining = remaining
        self.lower = lower
        self.upper = upper
    }

    /// Feeds the next byte of a pending character. Returns false when `byte` does not continue
    /// it: U+FFFD has been written for the partial character and the caller must handle `byte`
    /// again as a fresh byte.
    mutating func `continue`(_ byte: UInt8, into output: inout some ConsoleSanitizerSink) -> Bool {
        guard byte >= lower && byte <= upper else {
            reset()
            Self.appendReplacement(to: &output)
            return false
        }
        pending |= UInt32(byte) << (8 * UInt32(pendingCount))
        pendingCount += 1
        remaining -= 1
        lower = 0x80
        upper = 0xBF
        if remaining == 0 {
            let first = UInt8(truncatingIfNeeded: pending)
            let second = UInt8(truncatingIfNeeded: pending >> 8)
            let isC1 = pendingCount == 2 && first == 0xC2 && second < 0xA0
            if !isC1 {
                let count = Int(pendingCount)
                withUnsafeBytes(of: pending.littleEndian) { output.text(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
            reset()
        }
        return true
    }

    /// Ends a dangling partial character as U+FFFD.
    mutating func flush(into output: inout some ConsoleSanitizerSink) {
        if isPending {
            reset()
            Self.appendReplacement(to: &output)
        }
    }

    private mutating func reset() {
        pending = 0
        pendingCount = 0
        remaining = 0
        lower = 0x80
        upper = 0xBF
    }
}
