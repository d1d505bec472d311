import CUnitopSys
import Foundation
import Models
import Synchronization

/// The guest's exit value on libvirt, read from the file its isa-debugcon writes.
///
/// libvirt does not report QEMU's exit status, so the isa-debug-exit convention (the guest
/// writes N to port 0x501, QEMU exits with `(N << 1) | 1`) loses N. On this machine unitop
/// replaces that device with an isa-debugcon on the same port (see
/// ``DomainXMLBuilder/exitLogPath``): the guest's write lands as byte N in a file virtlogd
/// writes, QEMU keeps running (the guest halts), and unitop reads N and ends the domain itself.
/// The first byte is the value (an `outw` writes only its low byte to the one-byte port).
///
/// ``LibvirtExitLog/Watcher`` calls back when that byte appears, for the domains this process
/// watches; a listing reads the file directly, so an exit nobody watched is finished by the
/// next `ps`, `inspect` or TUI start.
enum LibvirtExitLog {
    /// The exit value in the file at `path`: its first byte; nil while it is empty or missing.
    static func value(at path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        var byte: UInt8 = 0
        return pread(fd, &byte, 1, 0) == 1 ? Int(byte) : nil
    }

    /// Waits up to `grace` seconds for a value to appear (virtlogd writes what QEMU sent it
    /// asynchronously, so at a domain's end the byte may still be on its way). Polls every 10 ms.
    static func value(at path: String, within grace: Double) async -> Int? {
        let deadline = Date().addingTimeInterval(grace)
        while true {
            if let v = value(at: path) { return v }
            if access(path, F_OK) != 0 || Date() >= deadline { return nil }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// How long the end of a domain that may have written its exit value waits for it.
    static let endGraceSeconds = 0.25

    /// Calls back once per watched domain when its exit value appears (inotify on the log
    /// directory, through the libvirt backend's file-watch thread).
    final class Watcher: Sendable {
        typealias Callback = @Sendable (_ name: String, _ value: Int) -> Void
        private let hub: FileWatchHub
        private let entries = Mutex<[String: (path: String, token: FileWatchHub.Token)]>([:])

        init(hub: FileWatchHub) { self.hub = hub }

        /// Watches `path` for domain `name` (no-op when it is already watched). The file is read
        /// once right away, so a value written before the watch started is seen too.
        func watch(name: String, path: String, _ callback: @escaping Callback) {
            let already = entries.withLock { $0[name]?.path == path }
            if already { return }
            unwatch(name)
            let dir = (path as NSString).deletingLastPathComponent
            let file = (path as NSString).lastPathComponent
            let mask = UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO)
            let fired = Mutex(false)
            let check: @Sendable () -> Void = {
                guard let v = LibvirtExitLog.value(at: path) else { return }
                let first = fired.withLock { f in defer { f = true }; return !f }
                if first { callback(name, v) }
            }
            guard let token = hub.addWatch(path: dir, mask: mask, handler: { _, changed in
                if changed == file { check() }
            }) else { return }
            let stale: FileWatchHub.Token? = entries.withLock { e in
                defer { e[name] = (path, token) }
                return e[name]?.token
            }
            if let stale { hub.removeWatch(stale) }
            hub.perform(check)
        }

        func unwatch(_ name: String) {
            if let t = entries.withLock({ $0.removeValue(forKey: name)?.token }) { hub.removeWatch(t) }
        }

        func unwatchAll() {
            let tokens = entries.withLock { e in defer { e.removeAll() }; return e.values.map(\.token) }
            for t in tokens { hub.removeWatch(t) }
        }

        var watchedNames: Set<String> { entries.withLock { Set($0.keys) } }
    }
}
