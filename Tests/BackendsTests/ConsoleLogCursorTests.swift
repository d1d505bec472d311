@testable import Backends
import Foundation
import Models
import Synchronization
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

/// A log written and rotated by the test, the way the qemu monitor (one backup, `console.log.1`)
/// or virtlogd (`file.0` … `file.N`, shifted oldest first) do it.
final class RotatingLog: Sendable {
    let path: String
    let backups: Int
    private let fd = Mutex<Int32>(-1)

    init(directory: String, name: String = "console.log", backups: Int) {
        path = directory + "/" + name
        self.backups = backups
        fd.withLock { $0 = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }
    }

    /// Backup paths, newest first (qemu's single backup is `.1`; virtlogd's are `.0`, `.1`, …).
    var backupPaths: [String] { backups == 1 ? [path + ".1"] : (0..<backups).map { "\(path).\($0)" } }

    func append(_ bytes: [UInt8]) {
        fd.withLock { f in
            _ = bytes.withUnsafeBytes { write(f, $0.baseAddress, $0.count) }
        }
    }

    /// Closes the file, shifts the backups (oldest first), renames it to the newest backup and
    /// creates a new one.
    func rotate() {
        fd.withLock { f in
            _ = Glibc.close(f)
            let b = backupPaths
            for i in stride(from: b.count - 1, to: 0, by: -1) { _ = rename(b[i - 1], b[i]) }
            _ = rename(path, b[0])
            f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        }
    }

    func close() { fd.withLock { f in _ = Glibc.close(f); f = -1 } }
}

@Suite("Console log cursor: rotation")
struct ConsoleLogCursorTests {
    static func pattern(_ n: Int, seed: Int) -> [UInt8] {
        (0..<n).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &* 7) % 251) }
    }

    /// Reads everything there is now through the cursor, `step` bytes at a time.
    static func readNow(_ cursor: ConsoleLogCursor, step: Int) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: step)
        while true {
            let n = buf.withUnsafeMutableBytes { cursor.read(into: $0) }
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }

    @Test(arguments: [1, 3])
    func readingAcrossRotationsLosesAndDoublesNothing(backups: Int) throws {
        let home = try TemporaryHome(prefix: "ucur")
        defer { home.remove() }
        let log = RotatingLog(directory: home.root, backups: backups)
        defer { log.close() }
        var written: [UInt8] = []
        func write(_ n: Int) { let b = Self.pattern(n, seed: written.count); log.append(b); written += b }

        write(1000)
        let cursor = ConsoleLogCursor(current: log.path, backups: log.backupPaths, history: .all)
        defer { cursor.close() }
        var read = Self.readNow(cursor, step: 300)
        // Rotation while the reader is in the middle of the file: it finishes the old one first.
        write(500)
        var buf = [UInt8](repeating: 0, count: 200)
        let n = buf.withUnsafeMutableBytes { cursor.read(into: $0) }
        read += buf[0..<n]
        write(300)
        log.rotate()
        write(700)
        read += Self.readNow(cursor, step: 256)
        #expect(read == written)
        // Two rotations between reads (the file in between was never opened): still whole.
        write(100); log.rotate(); write(200); log.rotate(); write(50)
        read += Self.readNow(cursor, step: 4096)
        #expect(read == written)
        // Rotated with nothing new yet (the new file is still empty), then appended to.
        log.rotate()
        read += Self.readNow(cursor, step: 64)
        write(10)
        read += Self.readNow(cursor, step: 64)
        #expect(read == written)
    }

    @Test func historyTailAndNoneSpanTheFiles() throws {
        let home = try TemporaryHome(prefix: "ucur")
        defer { home.remove() }
        let log = RotatingLog(directory: home.root, backups: 3)
        defer { log.close() }
        var written: [UInt8] = []
        for i in 0..<3 {
            let b = Self.pattern(400, seed: i)
            log.append(b); written += b
            log.rotate()
        }
        let last = Self.pattern(250, seed: 9)
        log.append(last); written += last
        let tail = ConsoleLogCursor(current: log.path, backups: log.backupPaths, history: .tail(bytes: 700))
        #expect(Self.readNow(tail, step: 100) == Array(written.suffix(700)))
        let all = ConsoleLogCursor(current: log.path, backups: log.backupPaths, history: .all)
        #expect(Self.readNow(all, step: 1 << 16) == written)
        let none = ConsoleLogCursor(current: log.path, backups: log.backupPaths, history: .none)
        #expect(Self.readNow(none, step: 100).isEmpty)
        let more = Self.pattern(30, seed: 5)
        log.append(more)
        log.rotate()
        log.append(more)
        #expect(Self.readNow(none, step: 100) == more + more)
    }

    /// History without following is the log as it was when asked for: `.tail(bytes: N)` gives
    /// N bytes even when the guest writes (and the log rotates) before they are read.
    @Test func historyStopsAtTheEndItHadWhenOpened() throws {
        let home = try TemporaryHome(prefix: "ucur")
        defer { home.remove() }
        let log = RotatingLog(directory: home.root, backups: 2)
        defer { log.close() }
        let first = Self.pattern(300, seed: 1)
        log.append(first)
        let tail = ConsoleLogCursor(current: log.path, backups: log.backupPaths, history: .tail(bytes: 12))
        tail.stopAtCurrentEnd()
        let all = ConsoleLogCursor(current: log.path, backups: log.backupPaths, history: .all)
        all.stopAtCurrentEnd()
        log.append(Self.pattern(50, seed: 2))
        log.rotate()
        log.append(Self.pattern(50, seed: 3))
        #expect(Self.readNow(tail, step: 5) == Array(first.suffix(12)))
        #expect(Self.readNow(all, step: 64) == first)
    }

    /// A writer appends and rotates on its own thread while the libvirt follower (inotify, the
    /// shared watch thread, the bounded channel) streams the log: the stream is the log, byte for
    /// byte. Before each rotation the writer waits until the reader has everything before the
    /// current file (the log keeps a few backups, as virtlogd does), so rotations land while the
    /// reader is in the middle of a file but never outrun what the log keeps.
    @Test func followingThroughRotationsOnItsOwnThreadIsExact() async throws {
        let home = try TemporaryHome(prefix: "ucur")
        defer { home.remove() }
        let log = RotatingLog(directory: home.root, backups: 3)
        let ended = Mutex(false)
        let received = Mutex<[UInt8]>([])
        let written = Mutex<[UInt8]>([])
        let stream = ConsoleLogFollower.stream(path: log.path, history: .all, follow: true, hasEnded: { ended.withLock { $0 } })
        let reader = Task {
            for try await chunk in stream { received.withLock { $0 += chunk } }
        }
        let writer = Thread {
            var rng = SystemRandomNumberGenerator()
            var fileStart = 0
            for round in 0..<40 {
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    let b = Self.pattern(Int.random(in: 1...3000, using: &rng), seed: round)
                    written.withLock { $0 += b }
                    log.append(b)
                }
                _ = Wait.blockingUntil(timeout: 20, interval: 0.002) { received.withLock { $0.count } >= fileStart }
                fileStart = written.withLock { $0.count }
                log.rotate()
            }
            log.close()
            ended.withLock { $0 = true }
        }
        writer.start()
        let done = await Wait.until(timeout: 60) { ended.withLock { $0 } }
        #expect(done)
        let whole = await Wait.until(timeout: 30) { received.withLock { $0.count } >= written.withLock { $0.count } }
        #expect(whole)
        // virtlogd closed the file and the domain ended: the stream finishes by itself.
        _ = try await reader.value
        #expect(received.withLock { $0 } == written.withLock { $0 })
        // With no log followed any more, the shared watch thread ends.
        #expect(await Wait.until(timeout: 10) { !ConsoleLogFollower.hub.isRunning })
    }

    /// A consumer that stops reading mid-follow ends the follower: its watches and descriptors
    /// go, and with them the shared watch thread.
    @Test func abandoningAFollowReleasesItsWatches() async throws {
        let home = try TemporaryHome(prefix: "ucur")
        defer { home.remove() }
        let log = RotatingLog(directory: home.root, backups: 2)
        defer { log.close() }
        log.append(Self.pattern(5000, seed: 1))
        let path = log.path
        let reader = Task {
            // Held by this task only: it goes (and ends the follower) when the task ends, as
            // any AsyncThrowingStream's termination does.
            let stream = ConsoleLogFollower.stream(path: path, history: .all, follow: true, hasEnded: { false })
            var n = 0
            for try await chunk in stream {
                n += chunk.count
                if n >= 5000 { break }
            }
            return n
        }
        #expect(try await reader.value == 5000)
        #expect(await Wait.until(timeout: 10) { !ConsoleLogFollower.hub.isRunning })
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)
        }.filter { $0.hasPrefix(home.root) }
        // Only the test's own writer still has the log open.
        #expect(open == [log.path], "\(open)")
    }
}
