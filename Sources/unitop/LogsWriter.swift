import Foundation
import Models

/// Writes console history to standard output without intermediate streams: raw files with
/// `sendfile(2)` (read/write when the output does not support it), sanitized bytes in large
/// chunks through ``LogsOutput``.
///
/// A reader that goes away (`unitop logs NAME | head`) ends the process quietly with status 0,
/// as ``StandardStream`` does; another write error throws.
final class LogsWriter {
    /// Bytes read per call, and the size at which sanitized output is written.
    static let chunkBytes = 1 << 20

    private let fd: Int32
    private var output: LogsOutput
    private var sendfileUsable = true
    private let scratch: UnsafeMutableRawBufferPointer
    private var pending: [UInt8] = []

    init(mode: LogsOutput.Mode, fd: Int32 = STDOUT_FILENO) {
        self.fd = fd
        self.output = LogsOutput(mode: mode)
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 16)
        if mode == .sanitized { pending.reserveCapacity(Self.chunkBytes + Self.chunkBytes / 4) }
    }

    deinit { scratch.deallocate() }

    /// Writes everything `source` holds from its current offset to its end.
    func copy(from source: Int32) throws {
        if output.mode == .raw && sendfileUsable && sendAll(from: source) { return }
        while true {
            let n = read(source, scratch.baseAddress, scratch.count)
            if n == 0 { return }
            if n < 0 {
                if errno == EINTR { continue }
                throw UnitopError.failed("cannot read the console log: \(String(cString: strerror(errno)))")
            }
            let chunk = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
            if output.mode == .raw {
                try writeAll(chunk)
            } else {
                output.transform(chunk, into: &pending)
                if pending.count >= Self.chunkBytes { try flushPending() }
            }
        }
    }

    /// Writes what the sanitizer still holds and everything pending.
    func finish() throws {
        output.finish(into: &pending)
        try flushPending()
    }

    private func flushPending() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try writeAll($0) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Copies with sendfile until the end of `source`; false when the output does not support it
    /// (the file offset then says how far it got, and read/write continues from there).
    private func sendAll(from source: Int32) -> Bool {
        while true {
            let n = sendfile(fd, source, nil, 1 << 30)
            if n > 0 { continue }
            if n == 0 { return true }
            switch errno {
            case EINTR: continue
            case EAGAIN: waitWritable()
            case EPIPE: Self.readerGone()
            default:
                // EINVAL, ENOSYS, ...: not for this kind of output. write(2) reports real errors.
                sendfileUsable = false
                return false
            }
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, base + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n == 0 { throw UnitopError.failed("cannot write to standard output: nothing written") }
            switch errno {
            case EINTR: continue
            case EAGAIN: waitWritable()
            case EPIPE: Self.readerGone()
            default: throw UnitopError.failed("cannot write to standard output: \(String(cString: strerror(errno)))")
            }
        }
    }

    private func waitWritable() {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&p, 1, 1000)
    }

    /// The reader went away: nothing more can be delivered, which is not an error.
    private static func readerGone() -> Never {
        _exit(0)
    }
}
