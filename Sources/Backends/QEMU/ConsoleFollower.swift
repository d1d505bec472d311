import Foundation
import Models
import QEMUMonitor
#if canImport(Glibc)
import Glibc
#endif

/// Streams one instance's console log: history first, then new bytes as the monitor appends
/// them, across rotations (`console.log` → `console.log.1`) without losing or doubling bytes.
///
/// Runs entirely on the ``FileWatchHub`` thread. It keeps the current log file open, so a
/// rotation is noticed as a new inode at the path; the old file is read to its end first.
final class ConsoleFollower: @unchecked Sendable {
    typealias Continuation = AsyncThrowingStream<[UInt8], Error>.Continuation

    let files: InstanceFiles
    let reader: InstanceReader
    let hub: FileWatchHub
    let continuation: Continuation
    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    private var watchToken: FileWatchHub.Token?
    private var processToken: FileWatchHub.Token?
    private var done = false

    /// Largest chunk handed to the stream.
    static let chunkBytes = 64 << 10

    init(files: InstanceFiles, reader: InstanceReader, hub: FileWatchHub, continuation: Continuation) {
        self.files = files; self.reader = reader; self.hub = hub; self.continuation = continuation
    }

    /// Delivers history and, when `follow`, starts following. Call on the hub thread.
    func start(history: ConsoleHistory, follow: Bool) {
        guard FileIO.exists(files.spec) else {
            return finish(UnitopError.instanceNotFound(files.name))
        }
        openCurrentAndHistory(history)
        guard follow else { drain(); return finish(nil) }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_CLOSE_WRITE)
        watchToken = hub.addWatch(path: files.directory, mask: mask) { [self] m, name in
            self.changed(mask: m, name: name)
        }
        if watchToken == nil { drain(); return finish(nil) }
        if let m = reader.monitorPid(files), m.isAlive {
            processToken = hub.addProcess(pid: m.pid) { [self] in self.pump() }
        }
        pump()
    }

    /// Stops following (the consumer went away). Call on the hub thread.
    func cancel() { finish(nil) }

    private func changed(mask: UInt32, name: String) {
        if mask & UInt32(IN_DELETE_SELF | IN_IGNORED) != 0 { return finish(nil) }
        // A plain append: coalesce. The guest UART writes a few bytes at a time, and waking the
        // consumer for each of those writes costs far more than the bytes; read everything that
        // arrived within one short interval as one chunk instead. Anything else (rotation,
        // close, creation) is handled at once.
        if mask & UInt32(IN_MODIFY) != 0 && mask & UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) == 0 {
            return schedulePump()
        }
        pump()
    }

    /// Delay between an append being noticed and the log being read (at most ~60 chunks a second).
    static let coalesceMillis = 12
    private var pumpScheduled = false

    /// Pumps once after ``coalesceMillis``; further appends before then are read by that pump.
    private func schedulePump() {
        guard !done, !pumpScheduled else { return }
        pumpScheduled = true
        let hub = self.hub
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Self.coalesceMillis)) { [self] in
            hub.perform { [self] in
                pumpScheduled = false
                pump()
            }
        }
    }

    /// Opens `console.log` (and, for history, `console.log.1`) and delivers the history.
    private func openCurrentAndHistory(_ history: ConsoleHistory) {
        for _ in 0..<5 {
            openCurrent()
            let prevFd = open(files.consoleLogPrevious, O_RDONLY | O_CLOEXEC)
            // Only valid if no rotation happened between the two opens.
            if fd >= 0 && currentPathInode() != inode { if prevFd >= 0 { close(prevFd) }; close(fd); fd = -1; continue }
            defer { if prevFd >= 0 { close(prevFd) } }
            let curSize = fd >= 0 ? Self.size(fd) : 0
            let prevSize = prevFd >= 0 ? Self.size(prevFd) : 0
            switch history {
            case .all:
                if prevFd >= 0 { copy(from: prevFd, offset: 0) }
                if fd >= 0 { _ = lseek(fd, 0, SEEK_SET) }
            case .tail(let n):
                let want = max(0, n)
                if want > curSize && prevFd >= 0 { copy(from: prevFd, offset: max(0, prevSize - (want - curSize))) }
                if fd >= 0 { _ = lseek(fd, off_t(max(0, curSize - want)), SEEK_SET) }
            case .none:
                if fd >= 0 { _ = lseek(fd, 0, SEEK_END) }
            }
            drain()
            return
        }
    }

    private func openCurrent() {
        fd = open(files.consoleLog, O_RDONLY | O_CLOEXEC)
        inode = fd >= 0 ? Self.inode(fd) : 0
    }

    private func currentPathInode() -> UInt64? {
        var st = stat()
        return stat(files.consoleLog, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    /// Reads new bytes, follows a rotation, and finishes once the instance has ended.
    private func pump() {
        guard !done else { return }
        // Decide "ended" before draining: the monitor writes exit.json after the last byte.
        let ended = FileIO.exists(files.exit) || !FileIO.exists(files.directory)
            || (reader.monitorPid(files).map { !$0.isAlive } ?? false)
        drain()
        if ended { finish(nil) }
    }

    /// Reads the open file to its end, switching to a new file when the path was rotated.
    private func drain() {
        while !done {
            if fd < 0 {
                openCurrent()
                if fd < 0 { return }
            }
            readToEnd(fd)
            guard let now = currentPathInode(), now != inode else { return }
            // Rotated: the old file is complete (the monitor renames before writing the new one).
            readToEnd(fd)
            close(fd)
            fd = -1
            // Rotated twice since we looked: the file in between is now console.log.1.
            let prev = open(files.consoleLogPrevious, O_RDONLY | O_CLOEXEC)
            if prev >= 0 {
                if Self.inode(prev) != inode { readToEnd(prev) }
                close(prev)
            }
        }
    }

    private func readToEnd(_ f: Int32) {
        var buf = [UInt8](repeating: 0, count: Self.chunkBytes)
        while !done {
            let n = buf.withUnsafeMutableBytes { read(f, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            yield(Array(buf[0..<n]))
        }
    }

    private func copy(from f: Int32, offset: Int) {
        _ = lseek(f, off_t(offset), SEEK_SET)
        readToEnd(f)
    }

    private func yield(_ bytes: [UInt8]) {
        if case .terminated = continuation.yield(bytes) { finish(nil) }
    }

    private func finish(_ error: Error?) {
        guard !done else { return }
        done = true
        if let t = watchToken { hub.removeWatch(t); watchToken = nil }
        if let t = processToken { hub.removeProcess(t); processToken = nil }
        if fd >= 0 { close(fd); fd = -1 }
        if let error { continuation.finish(throwing: error) } else { continuation.finish() }
    }

    static func size(_ f: Int32) -> Int {
        var st = stat()
        return fstat(f, &st) == 0 ? Int(st.st_size) : 0
    }

    static func inode(_ f: Int32) -> UInt64 {
        var st = stat()
        return fstat(f, &st) == 0 ? UInt64(st.st_ino) : 0
    }
}
