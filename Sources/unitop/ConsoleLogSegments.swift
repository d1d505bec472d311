import Models
import Foundation

/// The console history of one instance whose backend keeps it in files (``ConsoleLogFiles``: the
/// QEMU backend), read straight from its log files on the
/// calling thread (`unitop logs` without `--follow`): `console.log.1` (the rotated part, when
/// there is one), then `console.log`.
///
/// Same rules as the backend's console follower for a full history without following: the two
/// files are opened as a consistent pair (no rotation between the opens), and a rotation while
/// `console.log` is being read is noticed by a new inode at its path; the old file is then read
/// to its end and the new one follows, so nothing is lost or doubled.
struct ConsoleLogSegments {
    let files: ConsoleLogPaths

    /// The log files of `name` when `backend` keeps console logs in files and the instance
    /// exists; nil otherwise (the backend's console stream then serves the history or the error).
    init?(backend: any UnikernelBackend, name: String) {
        guard let provider = backend as? any ConsoleLogFiles, let files = provider.consoleLogPaths(of: name) else { return nil }
        self.files = files
    }

    /// Calls `consume` with each open segment in order; `consume` reads the descriptor from its
    /// current offset to its end (it may be called twice for one file when it was rotated).
    func forEach(_ consume: (Int32) throws -> Void) throws {
        var (current, previous) = openPair()
        defer { if current.fd >= 0 { close(current.fd) } }
        if previous >= 0 {
            defer { close(previous) }
            try consume(previous)
        }
        while true {
            if current.fd < 0 {
                current = Self.openFile(files.current)
                if current.fd < 0 { return }
            }
            try consume(current.fd)
            guard let now = Self.inode(atPath: files.current), now != current.inode else { return }
            // Rotated while reading: the old file (now console.log.1) is complete.
            try consume(current.fd)
            close(current.fd)
            let old = current.inode
            current = (-1, 0)
            // Rotated twice since: the file in between is console.log.1 now.
            let between = Self.openFile(files.previous)
            if between.fd >= 0 {
                defer { close(between.fd) }
                if between.inode != old { try consume(between.fd) }
            }
        }
    }

    /// `console.log` and `console.log.1`, opened with no rotation in between (a few attempts).
    private func openPair() -> (current: (fd: Int32, inode: UInt64), previous: Int32) {
        for attempt in 0..<5 {
            let current = Self.openFile(files.current)
            let previous = Self.openFile(files.previous).fd
            let consistent = current.fd < 0 || Self.inode(atPath: files.current) == current.inode
            if consistent || attempt == 4 { return (current, previous) }
            if current.fd >= 0 { close(current.fd) }
            if previous >= 0 { close(previous) }
        }
        return ((-1, 0), -1)
    }

    private static func openFile(_ path: String) -> (fd: Int32, inode: UInt64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (-1, 0) }
        var st = stat()
        return (fd, fstat(fd, &st) == 0 ? UInt64(st.st_ino) : 0)
    }

    private static func inode(atPath path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }
}
