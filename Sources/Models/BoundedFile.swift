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

/// Small helpers around `stat` results and `errno` values.
enum FileStatus {
    static func isRegular(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFREG }
    static func isDirectory(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFDIR }
    static func isSymlink(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFLNK }

    /// "fifo", "socket", "directory", … for messages.
    static func kindName(_ st: stat) -> String {
        switch st.st_mode & S_IFMT {
        case S_IFREG: return "regular file"
        case S_IFDIR: return "directory"
        case S_IFIFO: return "fifo"
        case S_IFSOCK: return "socket"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFLNK: return "symlink"
        default: return "special file"
        }
    }

    static func describe(errno err: Int32) -> String {
        switch err {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case ELOOP: return "symlink loop"
        case ENOTDIR: return "a path component is not a directory"
        case ENAMETOOLONG: return "path too long"
        default: return String(cString: strerror(err))
        }
    }

    static func modificationDate(_ st: stat) -> Date {
        Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }

    /// `path` made absolute against the current directory (lexically; symlinks are kept).
    static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
