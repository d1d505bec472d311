import Foundation
import Glibc
import Models
import Synchronization

/// Streams a console log written by virtlogd: history first, then new bytes as they are appended.
///
/// Why the log and not the console stream for output: virtlogd writes every byte the guest sends,
/// from the first byte of boot, whether or not anyone is attached, and it is a single ordered
/// source, so history and live output meet without loss or duplication (a ``ConsoleLogCursor``
/// keeps the position, across virtlogd's rotations of `file` to `file.0`, `file.1`, …). A console
/// stream only carries bytes from the moment it is opened and cannot be aligned with the log
/// exactly. The stream is used for input only (see ``LibvirtConsoleSession``).
///
/// Event-driven: inotify on the log's directory (appends, creation, rotation, virtlogd closing the
/// file when QEMU goes), on one shared ``FileWatchHub`` thread that exists only while some log is
/// followed. The end of the domain is an in-memory flag of the backend (`hasEnded`), checked when
/// virtlogd closes the file and once a second while following.
final class ConsoleLogFollower: Sendable {
    /// How many rotated backups (`file.0` …) count as history.
    static let maxBackups = 8
    /// After the domain ended, how long the log must stay unchanged before the stream finishes
    /// (unless virtlogd was seen closing it: then at once).
    static let quietAfterEnd = Duration.milliseconds(300)
    /// The thread all libvirt console logs are followed on (it ends when none is).
    static let hub = FileWatchHub(threadName: "unitop-libvirt-log")

    /// - Parameter hasEnded: whether the domain has ended (an in-memory check; called on the
    ///   watch thread).
    static func stream(path: String, history: ConsoleHistory, follow: Bool,
                       hasEnded: @escaping @Sendable () -> Bool) -> AsyncThrowingStream<[UInt8], Error> {
        let channel = ConsoleChunkChannel()
        let stream = channel.stream()
        let follower = ConsoleLogFollower(path: path, hasEnded: hasEnded, channel: channel)
        hub.perform { follower.start(history: history, follow: follow) }
        return stream
    }

    let path: String
    let hasEnded: @Sendable () -> Bool
    let channel: ConsoleChunkChannel
    private let hub: FileWatchHub
    private let fileName: String

    private struct State {
        var cursor: ConsoleLogCursor?
        var follow = false
        var done = false
        var tokens: [FileWatchHub.Token] = []
        var timers: [FileWatchHub.Token] = []
        var endTimer: FileWatchHub.Token?
        /// virtlogd closed the current file without rotating it: QEMU is gone.
        var writerClosed = false
        var lastData = ContinuousClock.now
    }

    private let state = Mutex(State())

    init(path: String, hasEnded: @escaping @Sendable () -> Bool, channel: ConsoleChunkChannel,
         hub: FileWatchHub = ConsoleLogFollower.hub) {
        self.path = path; self.hasEnded = hasEnded; self.channel = channel; self.hub = hub
        fileName = (path as NSString).lastPathComponent
        channel.onCancel { [self] in finish(nil) }
    }

    private var backups: [String] { (0..<Self.maxBackups).map { "\(path).\($0)" } }

    /// Delivers history and, when `follow`, starts following. Call on the hub thread.
    func start(history: ConsoleHistory, follow: Bool) {
        if access(path, F_OK) != 0 && errno != ENOENT {
            return finish(UnitopError.io(path: path, message: String(cString: strerror(errno))))
        }
        var tokens: [FileWatchHub.Token] = []
        if follow {
            let dir = (path as NSString).deletingLastPathComponent
            let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF)
            if let t = hub.addWatch(path: dir, mask: mask, handler: { [self] m, name in changed(mask: m, name: name) }) {
                tokens.append(t)
            }
        }
        let ticker = follow ? hub.addTicker { [self] in pump() } : nil
        let started: Bool = state.withLock { s in
            guard !s.done else { return false }
            s.cursor = ConsoleLogCursor(current: path, backups: backups, history: history)
            if !follow { s.cursor?.stopAtCurrentEnd() }
            s.follow = follow && !tokens.isEmpty
            s.tokens = tokens
            s.timers = ticker.map { [$0] } ?? []
            return true
        }
        guard started else {
            for t in tokens { hub.removeWatch(t) }
            if let ticker { hub.removeTimer(ticker) }
            return
        }
        pump()
    }

    /// Ends the stream (with `error`, it throws) and releases everything. Any thread; idempotent.
    func finish(_ error: (any Error)?) {
        let released: (cursor: ConsoleLogCursor?, watches: [FileWatchHub.Token], timers: [FileWatchHub.Token])? = state.withLock { s in
            guard !s.done else { return nil }
            s.done = true
            defer { s.cursor = nil; s.tokens = []; s.timers = []; s.endTimer = nil }
            return (s.cursor, s.tokens, s.timers + (s.endTimer.map { [$0] } ?? []))
        }
        guard let released else { return }
        for t in released.watches { hub.removeWatch(t) }
        for t in released.timers { hub.removeTimer(t) }
        released.cursor?.close()
        if let error { channel.finish(throwing: error) } else { channel.finish() }
    }

    private func changed(mask: UInt32, name: String) {
        if mask & UInt32(IN_DELETE_SELF | IN_IGNORED) != 0 { return finish(nil) }
        // The directory holds other domains' logs: only this log and its backups matter (an
        // empty name is a lost-events notice: look anyway).
        guard name.isEmpty || name == fileName || name.hasPrefix(fileName + ".") else { return }
        if name == fileName, mask & UInt32(IN_CLOSE_WRITE) != 0 {
            state.withLock { $0.writerClosed = true }
        } else if name == fileName, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
            state.withLock { $0.writerClosed = false }
        }
        pump()
    }

    /// Reads what the channel has room for; finishes once everything is delivered and the
    /// domain has ended (or at the end of the history when not following).
    private func pump() {
        let follow = state.withLock { $0.follow }
        let ended = !follow || hasEnded()
        let result: (outcome: ConsoleLogPump.Outcome, truncated: Bool, failure: String?)? = state.withLock { s in
            guard !s.done, let cursor = s.cursor else { return nil }
            let (outcome, bytes) = ConsoleLogPump.transfer(from: cursor, to: channel)
            if bytes > 0 { s.lastData = .now }
            return (outcome, cursor.truncated, cursor.failure)
        }
        guard let result else { return }
        if let failure = result.failure { return finish(UnitopError.io(path: path, message: failure)) }
        // Truncated: a new boot of the same name started; this instance's output is complete.
        let complete = result.truncated || (ended && result.outcome == .caughtUp && quietEnough())
        ConsoleLogPump.proceed(after: result.outcome, ended: complete, channel: channel, hub: hub,
                               pump: { [self] in pump() }, finish: { finish(nil) })
    }

    /// After the end: whether the last bytes are surely in (virtlogd closed the file, or it has
    /// not changed for ``quietAfterEnd``). Otherwise arms a timer to look again.
    private func quietEnough() -> Bool {
        let follow = state.withLock { $0.follow }
        guard follow else { return true }
        let settled: Bool = state.withLock { s in
            s.writerClosed || ContinuousClock.now - s.lastData >= Self.quietAfterEnd
        }
        if settled { return true }
        let arm = state.withLock { s in s.endTimer == nil && !s.done }
        if arm, let t = hub.addTimer(after: Self.quietAfterEnd, handler: { [self] in
            state.withLock { $0.endTimer = nil }
            pump()
        }) {
            state.withLock { $0.endTimer = t }
        }
        return false
    }
}
