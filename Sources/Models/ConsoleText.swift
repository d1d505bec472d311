/// Byte-level helpers shared by the sanitizer and the scrollback.
enum ConsoleText {
    private static let high: UInt64 = 0x8080_8080_8080_8080

    /// Bit 7 of each byte of `word` that may be a C0 control or DEL: zero when there is none,
    /// and exact for the lowest such byte (borrows only move towards higher bytes, from bytes that
    /// are flagged themselves), so `trailingZeroBitCount / 8` is the offset of the first control
    /// of a little-endian word.
    @inline(__always)
    static func controls(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let below20 = (word &- ones &* 0x20) & ~word & high
        let delete = word ^ (ones &* 0x7F)
        let isDelete = (delete &- ones) & ~delete & high
        return below20 | isDelete
    }

    /// Bit 7 of each byte of `word` that is not printable ASCII (0x20-0x7E). Exact for the lowest
    /// such byte (carries only move towards higher bytes, from bytes that are flagged themselves),
    /// so `trailingZeroBitCount / 8` is the offset of the first non-printable byte of a
    /// little-endian word.
    @inline(__always)
    static func nonPrintableASCII(_ word: UInt64) -> UInt64 {
        let atLeastSpace = word &+ 0x6060_6060_6060_6060
        let atLeastDelete = word &+ 0x0101_0101_0101_0101
        return ~(atLeastSpace & ~atLeastDelete & ~word) & high
    }

    /// The end of the run of text starting at `start` (at most `end`): printable ASCII, complete
    /// valid UTF-8 characters other than C1 controls and, when `controlsInText`, HT, LF and CR.
    /// Eight bytes at a time while the text is ASCII.
    @inline(__always)
    static func scanText(_ base: UnsafeRawPointer, from start: Int, end: Int, controlsInText: Bool) -> Int {
        var i = start
        while true {
            while i &+ 8 <= end {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let stops = nonPrintableASCII(word)
                if stops == 0 {
                    i &+= 8
                    continue
                }
                i &+= stops.trailingZeroBitCount &>> 3
                break
            }
            guard i < end else { return i }
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            if byte &- 0x20 < 0x5F || (controlsInText && (byte == 0x0A || byte == 0x0D || byte == 0x09)) {
                i &+= 1
                continue
            }
            guard byte >= 0xC2 else { return i }
            let length = UTF8Repair.completeLength(base, at: i, end: end)
            guard length > 0 else { return i }
            i &+= length
        }
    }

    /// Copies `count` bytes between non-overlapping buffers; short copies (most text runs and
    /// lines) with a few unaligned word moves instead of a call to `memcpy`.
    @inline(__always)
    static func copyBytes(to target: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
        switch count {
        case ..<1:
            return
        case 1...3:
            let first = source.load(as: UInt8.self)
            let middle = source.load(fromByteOffset: count >> 1, as: UInt8.self)
            let last = source.load(fromByteOffset: count - 1, as: UInt8.self)
            target.storeBytes(of: first, as: UInt8.self)
            target.storeBytes(of: middle, toByteOffset: count >> 1, as: UInt8.self)
            target.storeBytes(of: last, toByteOffset: count - 1, as: UInt8.self)
        case 4...7:
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        case 8...16:
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        case 17...32:
            let a = source.loadUnaligned(as: UInt64.self)
            let b = source.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let c = source.loadUnaligned(fromByteOffset: count - 16, as: UInt64.self)
            let d = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            target.storeBytes(of: a, as: UInt64.self)
            target.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            target.storeBytes(of: c, toByteOffset: count - 16, as: UInt64.self)
            target.storeBytes(of: d, toByteOffset: count - 8, as: UInt64.self)
        default:
            target.copyMemory(from: source, byteCount: count)
        }
    }
}
