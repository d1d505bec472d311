import Foundation

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

    /// `path` made absolute: its directory is resolved with `realpath` (so `..` and symlinked
    /// directories are exact) while the last component is kept as named (a symlinked image keeps
    /// its own name). Falls back to a lexical join when the directory cannot be resolved.
    static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts = joined.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard let last = parts.popLast() else { return "/" }
        let directory = "/" + parts.joined(separator: "/")
        if last != "..", let resolved = realpath(directory, nil) {
            defer { free(resolved) }
            let dir = String(cString: resolved)
            return (dir == "/" ? "" : dir) + "/" + last
        }
        return "/" + (parts + [last]).joined(separator: "/")
    }
}
