import Models
#if canImport(Glibc)
import Glibc
#endif

/// A position in a rotated console log that survives rotation: reading from it goes forward
/// through the log's files in order, with no byte lost or read twice.
///
/// A log is a current file (`console.log`) and its rotated backups, newest first (qemu:
/// `console.log.1`; virtlogd: `file.0`, `file.1`, …). Rotation renames the current file to the
/// first backup (shifting the older ones) and then creates a new current file. The cursor holds
/// the file it reads open, so a rename does not move it; the position is that descriptor's file
/// offset. At the end of the file it holds, a different inode at the current path means the file
/// was rotated: the rest of the held file is read first, then its successors, found by inode
/// among the backups (several rotations may have happened since).
///
/// Nothing is lost unless the reader falls behind by more than the whole log (backups deleted
/// before they were opened). A current file that shrinks under the cursor (virtlogd truncating
/// the log for a new boot of the same domain) sets ``truncated``.
///
/// Not thread-safe: one owner at a time (it holds descriptors; ``close()`` releases them).
public final class ConsoleLogCursor {
    /// The log's current file.
    public let current: String
    /// Its rotated backups, newest first.
    public let backups: [String]
    /// Files still to read, oldest first; the last one may be the live current file.
    private var queue: [Segment] = []
    /// The inode of the newest file queued so far (0 before any): rotation is detected
    /// relative to it.
    private var newestInode: UInt64 = 0
    /// Whether the current file shrank below the cursor (a new log replaced it in place).
    public private(set) var truncated = false
    /// Why the last read failed (the cursor then reads nothing more), e.g. an I/O error.
    public private(set) var failure: String?
    /// Bytes left to read when the cursor reads only the history as it was at one moment
    /// (``stopAtCurrentEnd()``); nil: it reads on as the log grows.
    private var remaining: Int?

    private struct Segment {
        var fd: Int32
        var inode: UInt64
    }

    /// Opens the log and places the cursor according to `history`: at the start of the oldest
    /// backup (`.all`), `bytes` before the end (`.tail`), or at the end (`.none`). The files are
    /// opened as one consistent set (no rotation between the opens; a few attempts).
    public init(current: String, backups: [String], history: ConsoleHistory) {
        self.current = current
        self.backups = backups
        var files = snapshot()
        newestInode = files.last?.inode ?? 0
        switch history {
        case .all:
            break
        case .tail(let bytes):
            var skip = max(0, files.reduce(0) { $0 + Self.size($1.fd) } - max(0, bytes))
            while let first = files.first, skip > 0 {
                let size = Self.size(first.fd)
                if skip < size || files.count == 1 {
                    _ = lseek(first.fd, off_t(min(skip, size)), SEEK_SET)
                    skip = 0
                } else {
                    Glibc.close(first.fd)
                    files.removeFirst()
                    skip -= size
                }
            }
        case .none:
            // Only what is written from now on: keep the current file, at its end.
            let live = files.last.flatMap { $0.inode == Self.inode(atPath: current) ? $0 : nil }
            for f in files where f.fd != live?.fd { Glibc.close(f.fd) }
            files = live.map { [$0] } ?? []
            if let live { _ = lseek(live.fd, 0, SEEK_END) }
        }
        queue = files
    }

    /// The qemu backend's pair (`console.log.1`, `console.log`).
    public convenience init(paths: ConsoleLogPaths, history: ConsoleHistory) {
        self.init(current: paths.current, backups: [paths.previous], history: history)
    }

    deinit { close() }

    /// Closes every descriptor; the cursor reads nothing more.
    public func close() {
        for s in queue { Glibc.close(s.fd) }
        queue.removeAll()
    }

    /// From now on, reads only what the log holds at this moment: a history without following
    /// (`.tail(bytes: N)` then gives at most N bytes, however fast the guest writes).
    public func stopAtCurrentEnd() {
        remaining = queue.reduce(0) { $0 + max(0, Self.size($1.fd) - Self.offset($1.fd)) }
    }

    /// Reads up to `buffer.count` bytes from the cursor on; 0 when nothing more is there now.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let want = min(buffer.count, remaining ?? buffer.count)
        guard want > 0 else { return 0 }
        while true {
            guard let head = queue.first else {
                if advance() { continue }
                return 0
            }
            guard failure == nil else { return 0 }
            let n = Glibc.read(head.fd, buffer.baseAddress, want)
            if n > 0 {
                if let r = remaining { remaining = r - n }
                return n
            }
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                return 0
            }
            if !advance() { return 0 }
        }
    }

    /// Reads everything there is now, in chunks of at most `chunkBytes`.
    public func readAvailable(chunkBytes: Int = 64 << 10, _ consume: ([UInt8]) throws -> Void) rethrows {
        var buf = [UInt8](repeating: 0, count: chunkBytes)
        while true {
            let n = buf.withUnsafeMutableBytes { read(into: $0) }
            if n == 0 { return }
            try consume(Array(buf[0..<n]))
        }
    }

    /// Hands `consume` descriptors positioned at the cursor until nothing more is there now.
    /// `consume` reads from the descriptor's file offset (with `read`, `sendfile`, …) as far as
    /// it likes, usually to the end; the offset it leaves is the new position.
    public func drain(_ consume: (Int32) throws -> Void) rethrows {
        while true {
            if let head = queue.first { try consume(head.fd) }
            if !advance() { return }
        }
    }

    /// Moves past the file at the head when it is fully read and another follows. True when the
    /// head changed (or may have more bytes: a rotated file is read once more to its end).
    private func advance() -> Bool {
        if let head = queue.first {
            if Self.offset(head.fd) < Self.size(head.fd) { return true }
            if queue.count > 1 {
                Glibc.close(head.fd)
                queue.removeFirst()
                return true
            }
            // The live file, read to its end: shrunk, rotated, or simply nothing new.
            if Self.size(head.fd) < Self.offset(head.fd) { truncated = true; return false }
            if Self.inode(atPath: current) == head.inode { return false }
        }
        let next = successors()
        guard !next.isEmpty else { return false }
        queue += next
        newestInode = next[next.count - 1].inode
        // The old head stays first: whatever was appended before its rename is read next.
        return true
    }

    /// The files newer than ``newestInode``, oldest first (all of them when it is not among
    /// the log's files any more, or none was seen yet).
    private func successors() -> [Segment] {
        let files = snapshot()
        if let mine = files.lastIndex(where: { $0.inode == newestInode }) {
            for f in files[...mine] { Glibc.close(f.fd) }
            return Array(files[(mine + 1)...])
        }
        return files
    }

    /// The log's files, oldest first, each opened once (by inode), with the current file still
    /// at its path after the others were opened (retried a few times otherwise).
    ///
    /// Backups are opened newest first, against rotation's oldest-first renames, so a file
    /// that moves meanwhile is seen twice (kept once) rather than missed.
    private func snapshot() -> [Segment] {
        for attempt in 0..<5 {
            var found: [Segment] = []
            func add(_ path: String) {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { return }
                let ino = Self.inode(fd)
                if found.contains(where: { $0.inode == ino }) { Glibc.close(fd) } else { found.append(Segment(fd: fd, inode: ino)) }
            }
            add(current)
            let currentInode = found.first?.inode
            for b in backups { add(b) }
            if attempt < 4, Self.inode(atPath: current) != currentInode {
                for f in found { Glibc.close(f.fd) }
                continue
            }
            return found.reversed()
        }
        return []
    }

    private static func size(_ fd: Int32) -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    private static func offset(_ fd: Int32) -> Int {
        Int(lseek(fd, 0, SEEK_CUR))
    }

    private static func inode(_ fd: Int32) -> UInt64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    private static func inode(atPath path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }
}
