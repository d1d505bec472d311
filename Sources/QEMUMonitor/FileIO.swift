import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// Small, bounded file and descriptor helpers used by the monitor and the backend.
public enum FileIO {
    /// Reads at most `limit` bytes of a (small) file; nil when it cannot be opened.
    public static func readSmall(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, limit - out.count)) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// Writes `data` to `path` atomically (temporary file in the same directory, fsync-free rename).
    public static func writeAtomically(_ path: String, _ data: [UInt8], mode: mode_t = 0o600) throws {
        let tmp = path + ".tmp\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw posixError(tmp) }
        let ok = writeAll(fd, data)
        close(fd)
        guard ok else { unlink(tmp); throw posixError(tmp) }
        guard rename(tmp, path) == 0 else { let e = posixError(path); unlink(tmp); throw e }
    }

    /// Writes every byte to a blocking descriptor; false on error.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ data: [UInt8]) -> Bool {
        var off = 0
        while off < data.count {
            let n = data.withUnsafeBytes { write(fd, $0.baseAddress! + off, data.count - off) }
            if n < 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    /// Sets or clears O_NONBLOCK.
    public static func setNonBlocking(_ fd: Int32, _ on: Bool = true) {
        let fl = fcntl(fd, F_GETFL)
        guard fl >= 0 else { return }
        _ = fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK))
    }

    public static func posixError(_ path: String, _ code: Int32 = errno) -> FileIOError {
        FileIOError(path: path, message: String(cString: strerror(code)))
    }

    /// Creates a directory (and parents) with mode 0700; succeeds if it exists.
    public static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Decodes a small JSON file (at most `limit` bytes) with the shared decoder.
    public static func readJSON<T: Decodable>(_ type: T.Type, _ path: String, limit: Int = 1 << 20) -> T? {
        guard let bytes = readSmall(path, limit: limit) else { return nil }
        return try? JSONCoding.decoder().decode(T.self, from: Data(bytes))
    }

    public static func writeJSON<T: Encodable>(_ value: T, _ path: String) throws {
        let data = try JSONCoding.encoder().encode(value)
        try writeAtomically(path, [UInt8](data) + [0x0A])
    }
}

/// An I/O failure with its path.
public struct FileIOError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
