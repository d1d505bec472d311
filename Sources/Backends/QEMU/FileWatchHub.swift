import CUnitopSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One thread per backend that waits (in `poll`) on an inotify descriptor, process descriptors
/// (pidfds) and optional one-second ticks, and calls the registered handlers on that thread.
///
/// All registration state lives on the hub thread; other threads submit work with ``perform(_:)``.
/// With nothing registered the thread sleeps in `poll` with no timeout (no CPU).
final class FileWatchHub: @unchecked Sendable {
    typealias Token = Int
    /// A watched directory event: the inotify mask and the file name inside the directory.
    typealias WatchHandler = (_ mask: UInt32, _ name: String) -> Void

    private let lock = NSLock()
    private var queued: [() -> Void] = []
    private var started = false
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private var inotifyFd: Int32 = -1

    // Hub-thread state.
    private struct Watch { var wd: Int32; var path: String; var mask: UInt32; var handler: WatchHandler }
    private var watches: [Token: Watch] = [:]
    private var processes: [Token: (fd: Int32, handler: () -> Void)] = [:]
    private var tickers: [Token: () -> Void] = [:]
    private var nextToken = 1
    private var lastTick = ContinuousClock.now

    /// Largest inotify read.
    static let readBufferBytes = 64 << 10
    static let tickMillis: Int32 = 1000

    init() {}

    /// Runs `block` on the hub thread (starting the thread on first use).
    func perform(_ block: @escaping () -> Void) {
        lock.lock()
        queued.append(block)
        if !started {
            started = true
            var p: [Int32] = [-1, -1]
            _ = unitop_pipe(&p)
            wakeRead = p[0]; wakeWrite = p[1]
            inotifyFd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            let t = Thread { [self] in loop() }
            t.name = "unitop-qemu-watch"
            t.start()
        }
        let w = wakeWrite
        lock.unlock()
        var b: UInt8 = 1
        _ = write(w, &b, 1)
    }

    // MARK: registration (hub thread only)

    /// Watches a directory; returns nil if it cannot be watched (e.g. it does not exist).
    func addWatch(path: String, mask: UInt32, handler: @escaping WatchHandler) -> Token? {
        let combined = watches.values.filter { $0.path == path }.reduce(mask) { $0 | $1.mask }
        let wd = inotify_add_watch(inotifyFd, path, combined)
        guard wd >= 0 else { return nil }
        let t = nextToken; nextToken += 1
        watches[t] = Watch(wd: wd, path: path, mask: mask, handler: handler)
        return t
    }

    func removeWatch(_ token: Token) {
        guard let w = watches.removeValue(forKey: token) else { return }
        let rest = watches.values.filter { $0.wd == w.wd }
        if rest.isEmpty {
            _ = inotify_rm_watch(inotifyFd, w.wd)
        } else {
            _ = inotify_add_watch(inotifyFd, w.path, rest.reduce(0) { $0 | $1.mask })
        }
    }

    /// Calls `handler` once when process `pid` exits (or at once if it is already gone).
    func addProcess(pid: Int32, handler: @escaping () -> Void) -> Token {
        let t = nextToken; nextToken += 1
        let fd = unitop_pidfd_open(pid)
        if fd == -ESRCH {
            perform(handler)
        } else if fd >= 0 {
            processes[t] = (fd, handler)
        }
        return t
    }

    func removeProcess(_ token: Token) {
        if let p = processes.removeValue(forKey: token) { close(p.fd) }
    }

    /// Calls `handler` about once a second until removed.
    func addTicker(_ handler: @escaping () -> Void) -> Token {
        let t = nextToken; nextToken += 1
        if tickers.isEmpty { lastTick = .now }
        tickers[t] = handler
        return t
    }

    func removeTicker(_ token: Token) { tickers.removeValue(forKey: token) }

    // MARK: loop

    private func loop() {
        var buf = [UInt8](repeating: 0, count: Self.readBufferBytes)
        while true {
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: inotifyFd, events: Int16(POLLIN), revents: 0)]
            let procTokens = Array(processes.keys)
            for t in procTokens { fds.append(pollfd(fd: processes[t]!.fd, events: Int16(POLLIN), revents: 0)) }
            var timeout: Int32 = -1
            if !tickers.isEmpty {
                let elapsed = ContinuousClock.now - lastTick
                let ms = Int32(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                timeout = max(0, Self.tickMillis - ms)
            }
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 && errno != EINTR { return }
            if fds[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 256)
                _ = read(wakeRead, &drain, drain.count)
            }
            if fds[1].revents != 0 { readInotify(&buf) }
            for (i, t) in procTokens.enumerated() where fds[2 + i].revents != 0 {
                if let p = processes.removeValue(forKey: t) { close(p.fd); p.handler() }
            }
            runQueued()
            if !tickers.isEmpty && ContinuousClock.now - lastTick >= .milliseconds(Int(Self.tickMillis)) {
                lastTick = .now
                for h in Array(tickers.values) { h() }
            }
        }
    }

    private func runQueued() {
        while true {
            lock.lock()
            let work = queued
            queued.removeAll()
            lock.unlock()
            if work.isEmpty { return }
            for w in work { w() }
        }
    }

    private func readInotify(_ buf: inout [UInt8]) {
        while true {
            let n = buf.withUnsafeMutableBytes { read(inotifyFd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
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
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    for w in Array(watches.values) { w.handler(mask, "") }
                    continue
                }
                let ignored = mask & UInt32(IN_IGNORED) != 0
                for w in Array(watches.values) where w.wd == wd && ((w.mask & mask) != 0 || ignored) {
                    w.handler(mask, name)
                }
                // The kernel dropped this watch (directory deleted): forget it, its number may be reused.
                if ignored { watches = watches.filter { $0.value.wd != wd } }
            }
        }
    }
}
