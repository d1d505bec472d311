import CUnitopSys
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread that waits (in `poll`) on an inotify descriptor, process descriptors (pidfds) and
/// timers, and calls the registered handlers on that thread.
///
/// The thread exists only while there is something to wait for: it starts when work is queued or
/// something is registered, and it ends, closing its inotify descriptor and wake pipe, once
/// nothing is registered and nothing is queued. ``close()`` ends it for good: later work is
/// dropped and later registrations fail. With registrations but no timer due, the thread sleeps
/// in `poll` with no timeout (no CPU).
///
/// Registration may happen on any thread; handlers always run on the hub thread, one at a time.
final class FileWatchHub: Sendable {
    typealias Token = Int
    /// A watched directory event: the inotify mask and the file name inside the directory.
    typealias WatchHandler = @Sendable (_ mask: UInt32, _ name: String) -> Void
    typealias Handler = @Sendable () -> Void

    private struct Watch { var wd: Int32; var path: String; var mask: UInt32; var handler: WatchHandler }
    private struct Timer { var due: ContinuousClock.Instant; var period: Duration?; var handler: Handler }

    /// Everything the hub knows, behind one lock. The descriptors are valid while `running`.
    private struct State {
        var queued: [Handler] = []
        var running = false
        var closed = false
        var wakeRead: Int32 = -1
        var wakeWrite: Int32 = -1
        var inotifyFd: Int32 = -1
        var watches: [Token: Watch] = [:]
        var processes: [Token: (fd: Int32, handler: Handler)] = [:]
        var timers: [Token: Timer] = [:]
        var nextToken = 1

        var isIdle: Bool { queued.isEmpty && watches.isEmpty && processes.isEmpty && timers.isEmpty }

        mutating func token() -> Token {
            defer { nextToken += 1 }
            return nextToken
        }
    }

    private let state = Mutex(State())
    /// The thread's name (shown by `top -H`, gdb).
    let threadName: String

    /// Largest inotify read.
    static let readBufferBytes = 64 << 10

    init(threadName: String = "unitop-watch") {
        self.threadName = threadName
    }

    /// Runs `block` on the hub thread (starting the thread when needed). Dropped after ``close()``.
    func perform(_ block: @escaping Handler) {
        let wake: Int32? = state.withLock { s in
            guard !s.closed, start(&s) else { return nil }
            s.queued.append(block)
            return s.wakeWrite
        }
        if let wake { Self.poke(wake) }
    }

    /// Ends the thread (after the handler running now, if any), closes the descriptors and
    /// forgets every registration. Idempotent.
    func close() {
        let wake: Int32? = state.withLock { s in
            s.closed = true
            return s.running ? s.wakeWrite : nil
        }
        if let wake { Self.poke(wake) }
    }

    /// Whether the hub thread is alive (for tests and diagnostics).
    var isRunning: Bool { state.withLock { $0.running } }

    // MARK: registration

    /// Watches a directory; returns nil if it cannot be watched (it does not exist, or the hub
    /// is closed).
    func addWatch(path: String, mask: UInt32, handler: @escaping WatchHandler) -> Token? {
        state.withLock { s in
            guard !s.closed, start(&s) else { return nil }
            let combined = s.watches.values.filter { $0.path == path }.reduce(mask) { $0 | $1.mask }
            let wd = inotify_add_watch(s.inotifyFd, path, combined)
            guard wd >= 0 else { return nil }
            let t = s.token()
            s.watches[t] = Watch(wd: wd, path: path, mask: mask, handler: handler)
            return t
        }
    }

    func removeWatch(_ token: Token) {
        state.withLock { s in
            guard let w = s.watches.removeValue(forKey: token), s.running else { return }
            let rest = s.watches.values.filter { $0.wd == w.wd }
            if rest.isEmpty {
                _ = inotify_rm_watch(s.inotifyFd, w.wd)
            } else {
                _ = inotify_add_watch(s.inotifyFd, w.path, rest.reduce(0) { $0 | $1.mask })
            }
        }
        poke()
    }

    /// Calls `handler` once when process `pid` exits (soon, on the hub thread, if it is already
    /// gone). Nil when the hub is closed or the process cannot be watched.
    func addProcess(pid: Int32, handler: @escaping Handler) -> Token? {
        let token: Token? = state.withLock { s in
            guard !s.closed, start(&s) else { return nil }
            let fd = unitop_pidfd_open(pid)
            if fd == -ESRCH {
                s.queued.append(handler)
                return s.token()
            }
            guard fd >= 0 else { return nil }
            let t = s.token()
            s.processes[t] = (fd, handler)
            return t
        }
        poke()
        return token
    }

    func removeProcess(_ token: Token) {
        state.withLock { s in
            if let p = s.processes.removeValue(forKey: token) { Glibc.close(p.fd) }
        }
        poke()
    }

    /// Calls `handler` once after `delay`. Nil when the hub is closed.
    func addTimer(after delay: Duration, handler: @escaping Handler) -> Token? {
        addTimer(Timer(due: .now + delay, period: nil, handler: handler))
    }

    /// Calls `handler` every `period` until removed. Nil when the hub is closed.
    func addTicker(every period: Duration = .seconds(1), _ handler: @escaping Handler) -> Token? {
        addTimer(Timer(due: .now + period, period: period, handler: handler))
    }

    func removeTimer(_ token: Token) {
        state.withLock { s in _ = s.timers.removeValue(forKey: token) }
        poke()
    }

    private func addTimer(_ timer: Timer) -> Token? {
        let token: Token? = state.withLock { s in
            guard !s.closed, start(&s) else { return nil }
            let t = s.token()
            s.timers[t] = timer
            return t
        }
        poke()
        return token
    }

    // MARK: thread

    /// Starts the thread and opens its descriptors when it is not running. False when they
    /// cannot be opened (out of descriptors).
    private func start(_ s: inout State) -> Bool {
        if s.running { return true }
        var p: [Int32] = [-1, -1]
        guard unitop_pipe(&p) == 0 else { return false }
        let ino = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard ino >= 0 else { Glibc.close(p[0]); Glibc.close(p[1]); return false }
        _ = fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK)
        s.wakeRead = p[0]; s.wakeWrite = p[1]; s.inotifyFd = ino
        s.running = true
        let thread = Thread { [self] in
            Self.nameThisThread(threadName)
            loop()
        }
        thread.name = threadName
        thread.start()
        return true
    }

    /// Sets the kernel's name of the calling thread (`top -H`, `/proc/self/task/N/comm`; at most
    /// 15 bytes), which Foundation's `Thread.name` does not do here.
    private static func nameThisThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
    }

    /// Wakes the thread so it sees a new registration or removal.
    private func poke() {
        if let w = state.withLock({ $0.running ? $0.wakeWrite : nil }) { Self.poke(w) }
    }

    private static func poke(_ fd: Int32) {
        var b: UInt8 = 1
        _ = write(fd, &b, 1)
    }

    /// What one `poll` round waits on, taken under the lock.
    private struct Round {
        var fds: [pollfd]
        var processTokens: [Token]
        var timeoutMillis: Int32
    }

    private func loop() {
        var buf = [UInt8](repeating: 0, count: Self.readBufferBytes)
        while let round = nextRound() {
            var fds = round.fds
            let n = poll(&fds, nfds_t(fds.count), round.timeoutMillis)
            if n < 0 && errno != EINTR { continue }
            if fds[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 256)
                _ = read(fds[0].fd, &drain, drain.count)
            }
            if fds[1].revents != 0 { readInotify(fds[1].fd, &buf) }
            for (i, t) in round.processTokens.enumerated() where fds[2 + i].revents != 0 {
                let handler: Handler? = state.withLock { s in
                    guard let p = s.processes.removeValue(forKey: t) else { return nil }
                    Glibc.close(p.fd)
                    return p.handler
                }
                handler?()
            }
            runDueTimers()
            runQueued()
        }
    }

    /// The next round, or nil when the thread should end (closed, or nothing left to wait
    /// for); in that case the descriptors are closed here, under the lock.
    private func nextRound() -> Round? {
        state.withLock { s in
            if s.closed || s.isIdle {
                for p in s.processes.values { Glibc.close(p.fd) }
                s.processes.removeAll(); s.watches.removeAll(); s.timers.removeAll(); s.queued.removeAll()
                Glibc.close(s.inotifyFd); Glibc.close(s.wakeRead); Glibc.close(s.wakeWrite)
                s.inotifyFd = -1; s.wakeRead = -1; s.wakeWrite = -1
                s.running = false
                return nil
            }
            var fds = [pollfd(fd: s.wakeRead, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: s.inotifyFd, events: Int16(POLLIN), revents: 0)]
            let tokens = Array(s.processes.keys)
            for t in tokens { fds.append(pollfd(fd: s.processes[t]?.fd ?? -1, events: Int16(POLLIN), revents: 0)) }
            var timeout: Int32 = s.queued.isEmpty ? -1 : 0
            if timeout != 0, let due = s.timers.values.map(\.due).min() {
                let left = due - .now
                let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                timeout = Int32(clamping: max(0, ms + 1))
            }
            return Round(fds: fds, processTokens: tokens, timeoutMillis: timeout)
        }
    }

    private func runDueTimers() {
        let now = ContinuousClock.now
        let due: [Handler] = state.withLock { s in
            var handlers: [Handler] = []
            for (t, timer) in s.timers.sorted(by: { $0.value.due < $1.value.due }) where timer.due <= now {
                handlers.append(timer.handler)
                if let period = timer.period {
                    s.timers[t]?.due = now + period
                } else {
                    s.timers.removeValue(forKey: t)
                }
            }
            return handlers
        }
        for h in due { h() }
    }

    private func runQueued() {
        while true {
            let work: [Handler] = state.withLock { s in
                defer { s.queued.removeAll() }
                return s.closed ? [] : s.queued
            }
            if work.isEmpty { return }
            for w in work { w() }
        }
    }

    private func readInotify(_ fd: Int32, _ buf: inout [UInt8]) {
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            var calls: [(WatchHandler, UInt32, String)] = []
            var off = 0
            while off + 16 <= n {
                func u32(_ o: Int) -> UInt32 {
                    UInt32(buf[o]) | UInt32(buf[o + 1]) << 8 | UInt32(buf[o + 2]) << 16 | UInt32(buf[o + 3]) << 24
                }
                let wd = Int32(bitPattern: u32(off))
                let mask = u32(off + 4)
                let len = Int(u32(off + 12))
                let nameBytes = buf[(off + 16)..<min(n, off + 16 + len)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                off += 16 + len
                state.withLock { s in
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                        // Events were lost: every watcher re-reads what it watches.
                        for w in s.watches.values { calls.append((w.handler, mask, "")) }
                        return
                    }
                    let ignored = mask & UInt32(IN_IGNORED) != 0
                    for w in s.watches.values where w.wd == wd && ((w.mask & mask) != 0 || ignored) {
                        calls.append((w.handler, mask, name))
                    }
                    // The kernel dropped this watch (directory deleted): forget it, its number may be reused.
                    if ignored { s.watches = s.watches.filter { $0.value.wd != wd } }
                }
            }
            for (handler, mask, name) in calls { handler(mask, name) }
        }
    }
}
