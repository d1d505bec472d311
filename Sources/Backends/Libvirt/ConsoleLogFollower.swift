import Foundation
import Glibc
import Models

/// Streams a console log written by virtlogd: history first, then new bytes as they are appended.
///
/// Why the log and not the console stream for output: virtlogd writes every byte the guest sends,
/// from the first byte of boot, whether or not anyone is attached, and it is a single ordered
/// source, so history and live output meet without loss or duplication (the reader just keeps its
/// file offset). A console stream only carries bytes from the moment it is opened and cannot be
/// aligned with the log exactly. The stream is used for input only (see ``LibvirtConsoleSession``).
///
/// Rotation (virtlogd renames `file` to `file.0` at its size limit) is handled by keeping the old
/// descriptor open, draining it, then opening the new file. inotify is only a wake-up; a 500 ms
/// poll timeout bounds how late the end of the domain is noticed.
enum ConsoleLogFollower {
    /// Read chunk size.
    static let chunkBytes = 64 * 1024
    /// How many rotated backups (`file.0` …) count as history.
    static let maxBackups = 8
    /// After the domain ended, how long the log must stay unchanged before the stream finishes.
    static let quietAfterEndMillis: Int32 = 300

    /// - Parameter hasEnded: whether the domain has ended (checked when the file is idle).
    static func stream(path: String, history: ConsoleHistory, follow: Bool,
                       hasEnded: @escaping @Sendable () -> Bool) -> AsyncThrowingStream<[UInt8], Error> {
        AsyncThrowingStream { continuation in
            let cancelled = CancelFlag()
            continuation.onTermination = { _ in cancelled.set() }
            let thread = Thread {
                do {
                    try run(path: path, history: history, follow: follow, hasEnded: hasEnded,
                            cancelled: cancelled) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.name = "unitop-libvirt-log"
            thread.start()
        }
    }

    final class CancelFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }

    private static func run(path: String, history: ConsoleHistory, follow: Bool, hasEnded: () -> Bool,
                            cancelled: CancelFlag, yield: ([UInt8]) -> Void) throws {
        // Wait for the file (virtlogd creates it when QEMU starts).
        var fd: Int32 = -1
        while fd < 0 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { break }
            if errno != ENOENT { throw UnitopError.io(path: path, message: String(cString: strerror(errno))) }
            if !follow || hasEnded() || cancelled.isSet { return }
            usleep(100_000)
        }
        defer { close(fd) }

        // History.
        switch history {
        case .none:
            lseek(fd, 0, SEEK_END)
        case .all, .tail:
            var limit = Int.max
            if case .tail(let n) = history { limit = max(0, n) }
            let backups: [String] = (0..<maxBackups).reversed().map { (i: Int) -> String in "\(path).\(i)" }.filter { (p: String) -> Bool in access(p, R_OK) == 0 }
            let currentSize = fileSize(fd)
            var sizes = backups.map { p -> Int in var st = stat(); return stat(p, &st) == 0 ? Int(st.st_size) : 0 }
            var skip = max(0, sizes.reduce(0, +) + currentSize - limit)
            for (i, p) in backups.enumerated() {
                if skip >= sizes[i] { skip -= sizes[i]; continue }
                let bfd = open(p, O_RDONLY | O_CLOEXEC)
                guard bfd >= 0 else { continue }
                lseek(bfd, off_t(skip), SEEK_SET)
                skip = 0
                _ = drain(bfd, yield: yield)
                close(bfd)
                sizes[i] = 0
            }
            lseek(fd, off_t(skip), SEEK_SET)
        }
        _ = drain(fd, yield: yield)
        if !follow { return }

        let ino = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if ino >= 0 { close(ino) } }
        let mask = UInt32(IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB | IN_CLOSE_WRITE)
        if ino >= 0 { inotify_add_watch(ino, path, mask) }
        var endedAt: Bool = false
        var eventBuf = [UInt8](repeating: 0, count: 4096)
        while !cancelled.isSet {
            let got = drain(fd, yield: yield)
            // Rotation or truncation.
            var cur = stat(), mine = stat()
            let offset = lseek(fd, 0, SEEK_CUR)
            if fstat(fd, &mine) == 0, off_t(mine.st_size) < offset {
                return  // truncated: a new boot of the same name started; this instance's output is complete
            }
            if stat(path, &cur) == 0, fstat(fd, &mine) == 0, cur.st_ino != mine.st_ino {
                _ = drain(fd, yield: yield)
                let nfd = open(path, O_RDONLY | O_CLOEXEC)
                if nfd >= 0 {
                    close(fd); fd = nfd
                    if ino >= 0 { inotify_add_watch(ino, path, mask) }
                    continue
                }
            }
            if got == 0 && endedAt { return }
            if !endedAt && hasEnded() { endedAt = true }
            var pfd = pollfd(fd: ino, events: Int16(POLLIN), revents: 0)
            let timeout: Int32 = endedAt ? quietAfterEndMillis : 500
            if ino >= 0 {
                if poll(&pfd, 1, timeout) > 0 { _ = read(ino, &eventBuf, eventBuf.count) }
            } else {
                usleep(UInt32(timeout) * 1000)
            }
        }
    }

    /// Reads `fd` to its current end, yielding chunks; returns the byte count.
    private static func drain(_ fd: Int32, yield: ([UInt8]) -> Void) -> Int {
        var total = 0
        var buf = [UInt8](repeating: 0, count: chunkBytes)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { return total }
            total += n
            yield(Array(buf[0..<n]))
        }
    }

    private static func fileSize(_ fd: Int32) -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }
}
