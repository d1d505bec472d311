import Foundation
import Synchronization

/// Buffered writes straight to a file descriptor (stdout or stderr), without `print`.
///
/// A closed reader (`unitop logs NAME | head`) ends the process quietly with status 0:
/// SIGPIPE is ignored at startup and EPIPE is handled here.
final class StandardStream: Sendable {
    static let output = StandardStream(fd: STDOUT_FILENO)
    static let error = StandardStream(fd: STDERR_FILENO)

    /// Buffered bytes are written once the buffer reaches this size.
    static let bufferLimit = 64 << 10

    let fd: Int32
    /// Bytes not written yet.
    private let pending: Mutex<[UInt8]>

    init(fd: Int32) {
        self.fd = fd
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.bufferLimit)
        pending = Mutex(buffer)
    }

    /// Whether the descriptor is a terminal.
    var isTerminal: Bool { isatty(fd) == 1 }

    /// Appends bytes; writes once the buffer is large.
    func write(_ bytes: [UInt8]) {
        pending.withLock { buffer in
            buffer.append(contentsOf: bytes)
            if buffer.count >= Self.bufferLimit { drain(&buffer) }
        }
    }

    /// Appends and writes everything now (interactive output).
    func writeNow(_ bytes: [UInt8]) {
        pending.withLock { buffer in
            buffer.append(contentsOf: bytes)
            drain(&buffer)
        }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Writes `text` and a newline immediately (messages). In raw terminal mode the newline is CRLF.
    func writeLine(_ text: String) {
        writeNow(Array(text.utf8) + (RawTerminal.isActive ? [0x0D, 0x0A] : [0x0A]))
    }

    func flush() {
        pending.withLock { drain(&$0) }
    }

    /// Writes `buffer` out and empties it (called with the lock held).
    private func drain(_ buffer: inout [UInt8]) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Foundation.write(fd, base + offset, raw.count - offset)
            }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 1000)
                continue
            }
            // EPIPE (reader gone) or another write error: nothing more can be delivered.
            buffer.removeAll(keepingCapacity: true)
            if fd == STDOUT_FILENO {
                RawTerminal.restore()
                _exit(0)
            }
            return
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
