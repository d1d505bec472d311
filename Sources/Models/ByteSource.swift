import Foundation

/// Random access to an image's bytes for the inspector, bounded by the caller.
///
/// Reads return nil when the range is not fully available (beyond the end of the data, or
/// larger than the source is willing to read). Implementations never read more than asked.
public protocol ImageByteSource {
    /// Size of the whole file (may be larger than what the source can read).
    var size: UInt64 { get }
    /// `count` bytes at `offset`, or nil when they are not all available.
    func read(at offset: UInt64, count: Int) -> [UInt8]?
}

/// An in-memory byte source (tests, the fuzzer, and a file's header window).
public struct MemoryByteSource: ImageByteSource {
    public let bytes: [UInt8]
    public let size: UInt64

    /// `bytes` are the first bytes of a file of `size` bytes (default: exactly `bytes`).
    public init(bytes: [UInt8], size: UInt64? = nil) {
        self.bytes = bytes
        self.size = max(size ?? UInt64(bytes.count), UInt64(bytes.count))
    }

    public func read(at offset: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, offset <= UInt64(bytes.count) else { return nil }
        let start = Int(offset)
        guard count <= bytes.count - start else { return nil }
        return Array(bytes[start..<(start + count)])
    }
}

/// Little/big-endian integer reads from a byte array, bounds-checked (nil when out of range).
struct ByteReader {
    let bytes: [UInt8]
    let bigEndian: Bool

    init(_ bytes: [UInt8], bigEndian: Bool = false) {
        self.bytes = bytes
        self.bigEndian = bigEndian
    }

    var count: Int { bytes.count }

    func u8(_ at: Int) -> UInt8? {
        guard at >= 0, at < bytes.count else { return nil }
        return bytes[at]
    }

    func u16(_ at: Int) -> UInt16? { uint(at, width: 2).map { UInt16(truncatingIfNeeded: $0) } }
    func u32(_ at: Int) -> UInt32? { uint(at, width: 4).map { UInt32(truncatingIfNeeded: $0) } }
    func u64(_ at: Int) -> UInt64? { uint(at, width: 8) }

    /// True when `bytes[at..<at+pattern.count] == pattern`.
    func matches(_ pattern: [UInt8], at: Int) -> Bool {
        guard at >= 0, pattern.count <= bytes.count, at <= bytes.count - pattern.count else { return false }
        for (i, b) in pattern.enumerated() where bytes[at + i] != b { return false }
        return true
    }

    private func uint(_ at: Int, width: Int) -> UInt64? {
        guard at >= 0, width <= bytes.count, at <= bytes.count - width else { return nil }
        var v: UInt64 = 0
        for i in 0..<width {
            let b = UInt64(bytes[at + i])
            if bigEndian { v = (v << 8) | b } else { v |= b << (8 * UInt64(i)) }
        }
        return v
    }
}
