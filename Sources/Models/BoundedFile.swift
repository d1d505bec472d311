import Foundation

/// Reads small untrusted files (config, sidecars) without following them into trouble:
/// never opens FIFOs or devices, refuses files over a limit, never blocks on open.
enum BoundedFile {
    enum Failure: Error, Equatable {
        case missing
        case notRegular(String)
        case tooLarge(limit: Int)
        case unreadable(String)
    }

    /// The whole file at `path`, at most `limit` bytes.
    static func read(path: String, limit: Int) -> Result<[UInt8], Failure> {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let err = errno
            if err == ENOENT { return .failure(.missing) }
            return .failure(.unreadable(FileStatus.describe(errno: err)))
        }
        guard FileStatus.isRegular(st) else { return .failure(.notRegular(FileStatus.kindName(st))) }
        guard st.st_size <= limit else { return .failure(.tooLarge(limit: limit)) }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return .failure(.unreadable(FileStatus.describe(errno: errno))) }
        defer { close(fd) }
        var st2 = stat()
        guard fstat(fd, &st2) == 0, FileStatus.isRegular(st2) else { return .failure(.notRegular(FileStatus.kindName(st2))) }
        // Read one byte past the limit to notice a file that grew.
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        var total = 0
        while total < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + total, raw.count - total, off_t(total))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(FileStatus.describe(errno: errno)))
            }
            if n == 0 { break }
            total += n
        }
        guard total <= limit else { return .failure(.tooLarge(limit: limit)) }
        return .success(Array(buffer[0..<total]))
    }
}
