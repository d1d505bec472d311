/// Byte-level helpers shared by the sanitizer and the scrollback.
enum ConsoleText {
    private static let high: UInt64 = 0x8080_8080_8080_8080

    /// True when all 8 bytes of `word` are printable ASCII (0x20-0x7E).
    @inline(__always)
    static func isPrintableASCII(_ word: UInt64) -> Bool {
        // For a byte b < 0x80: b + 0x60 sets bit 7 iff b >= 0x20; b + 0x01 sets bit 7 iff b >= 0x7F.
        // Bytes with bit 7 set fail through ~word; without them no addition carries across bytes.
        let atLeastSpace = word &+ 0x6060_6060_6060_6060
        let atLeastDelete = word &+ 0x0101_0101_0101_0101
        return (atLeastSpace & ~atLeastDelete & ~word & high) == high
    }

    /// True when some byte of `word` may be a C0 control or DEL (exact when there is none).
    @inline(__always)
    static func hasControl(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let below20 = (word &- ones &* 0x20) & ~word & high
        let delete = word ^ (ones &* 0x7F)
        let isDelete = (delete &- ones) & ~delete & high
        return (below20 | isDelete) != 0
    }
}
