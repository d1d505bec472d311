import Logging
import Models
import QEMUMonitor
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Streams one instance's console log: history first, then new bytes as the monitor appends
/// them, across rotations (`console.log` → `console.log.1`), reading through one
/// ``ConsoleLogCursor`` so nothing is lost or doubled.
///
/// Woken by inotify on the instance directory and by the monitor's pidfd (both on the backend's
/// ``FileWatchHub``), and by its consumer taking a chunk: the stream holds at most
/// ``ConsoleChunkChannel/capacityBytes``; the rest waits in the log behind the cursor.
final class ConsoleFollower: Sendable {
    let files: InstanceFiles
    let reader: InstanceReader
    let hub: FileWatchHub
    let channel: ConsoleChunkChannel

    private struct State {
        var cursor: ConsoleLogCursor?
        var follow = false
        var watchToken: FileWatchHub.Token?
        var processToken: FileWatchHub.Token?
        var pumpTimer: FileWatchHub.Token?
        var done = false
        /// Called once when the follower ends (the backend forgets it).
        var onEnd: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Delay between an append being noticed and the log being read (at most ~80 reads a second).
    static let coalesce = Duration.milliseconds(12)

    init(files: InstanceFiles, reader: InstanceReader, hub: FileWatchHub, channel: ConsoleChunkChannel) {
        self.files = files; self.reader = reader; self.hub = hub; self.channel = channel
        channel.onCancel { [self] in finish(nil) }
    }

    /// Delivers history and, when `follow`, starts following. Call on the hub thread (the first
    /// reads may be long). `onEnd` runs once when the follower has ended.
    func start(history: ConsoleHistory, follow: Bool, onEnd: @escaping @Sendable () -> Void) {
        guard FileIO.exists(files.spec) else {
            onEnd()
            return finish(UnitopError.instanceNotFound(files.name))
        }
        let (current, previous) = (files.consoleLog, files.consoleLogPrevious)
        let started: Bool = state.withLock { s in
            guard !s.done else { return false }
            s.cursor = ConsoleLogCursor(current: current, backups: [previous], history: history)
            if !follow { s.cursor?.stopAtCurrentEnd() }
            s.follow = follow
            s.onEnd = onEnd
            return true
        }
        guard started else { onEnd(); return }
        if follow {
            let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_CLOSE_WRITE)
            let watch = hub.addWatch(path: files.directory, mask: mask) { [self] m, _ in changed(mask: m) }
            let monitor = reader.monitorPid(files).flatMap { m in
                m.isAlive ? hub.addProcess(pid: m.pid) { [self] in pump() } : nil
            }
            if watch == nil {
                QEMUBackend.log.warning("cannot watch the console log; the stream ends after the history",
                                        metadata: ["instance": "\(files.name)"])
            }
            let keep: Bool = state.withLock { s in
                s.watchToken = watch; s.processToken = monitor
                if watch == nil { s.follow = false }
                return !s.done
            }
            if !keep { release(watch: watch, process: monitor) }
        }
        pump()
    }

    /// Ends the stream (with `error`, it throws) and releases everything. Any thread; idempotent.
    func finish(_ error: (any Error)?) {
        let ended: (State)? = state.withLock { s in
            guard !s.done else { return nil }
            s.done = true
            let old = s
            s.cursor = nil; s.watchToken = nil; s.processToken = nil; s.pumpTimer = nil; s.onEnd = nil
            return old
        }
        guard let ended else { return }
        release(watch: ended.watchToken, process: ended.processToken)
        if let t = ended.pumpTimer { hub.removeTimer(t) }
        ended.cursor?.close()
        if let error { channel.finish(throwing: error) } else { channel.finish() }
        ended.onEnd?()
    }

    private func release(watch: FileWatchHub.Token?, process: FileWatchHub.Token?) {
        if let watch { hub.removeWatch(watch) }
        if let process { hub.removeProcess(process) }
    }

    private func changed(mask: UInt32) {
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

    /// Pumps once after ``coalesce``; further appends before then are read by that pump.
    private func schedulePump() {
        let schedule = state.withLock { s in !s.done && s.pumpTimer == nil }
        guard schedule else { return }
        let timer = hub.addTimer(after: Self.coalesce) { [self] in
            state.withLock { $0.pumpTimer = nil }
            pump()
        }
        state.withLock { s in if s.pumpTimer == nil && !s.done { s.pumpTimer = timer } }
    }

    /// Reads what the channel has room for; finishes once everything is delivered and the
    /// instance has ended (or at the end of the history when not following).
    private func pump() {
        // Decide "ended" before reading: the monitor writes exit.json after the last byte.
        let follow = state.withLock { $0.follow }
        let ended = !follow || FileIO.exists(files.exit) || !FileIO.exists(files.directory)
            || (reader.monitorPid(files).map { !$0.isAlive } ?? false)
        let result: (outcome: ConsoleLogPump.Outcome, failure: String?)? = state.withLock { s in
            guard !s.done, let cursor = s.cursor else { return nil }
            return (ConsoleLogPump.transfer(from: cursor, to: channel).outcome, cursor.failure)
        }
        guard let (outcome, failure) = result else { return }
        if let failure {
            QEMUBackend.log.error("cannot read the console log", metadata: ["instance": "\(files.name)", "error": "\(failure)"])
            return finish(UnitopError.io(path: files.consoleLog, message: failure))
        }
        ConsoleLogPump.proceed(after: outcome, ended: ended, channel: channel, hub: hub,
                               pump: { [self] in pump() }, finish: { finish(nil) })
    }
}
