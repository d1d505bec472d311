import Foundation

/// Reads byte ranges of an open file with `pread`, at most ``maxReadBytes`` per request.
final class FileByteSource: ImageByteSource {
    /// Largest single read the inspector may ask for.
    static let maxReadBytes = 64 * 1024

    let fd: Int32
    let size: UInt64
    /// The first read error seen (EIO, EISDIR …), for the reason.
    private(set) var firstError: String?

    init(fd: Int32, size: UInt64) {
        self.fd = fd
        self.size = size
    }

    func read(at offset: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= Self.maxReadBytes, offset <= size, UInt64(count) <= size - offset,
              offset <= UInt64(off_t.max)
        else { return nil }
        if count == 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + total, count - total, off_t(offset) + off_t(total))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if firstError == nil { firstError = FileStatus.describe(errno: errno) }
                return nil
            }
            if n == 0 { return nil }  // the file shrank
            total += n
        }
        return buffer
    }
}
