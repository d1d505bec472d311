#if canImport(Glibc)
import Glibc
#endif

/// One non-blocking socket connection owned by the monitor's poll loop, with a bounded output
/// buffer and (for line protocols) a bounded line splitter.
final class PeerConnection {
    let fd: Int32
    var lines: LineBuffer
    private(set) var output: [UInt8] = []
    /// Output beyond this many pending bytes marks the peer as too slow.
    let outputLimit: Int
    /// Set when the peer closed, failed, or fell too far behind; the loop then drops it.
    var closed = false
    /// Close once the output buffer has drained (after a final reply).
    var closeAfterFlush = false

    init(fd: Int32, maxLineBytes: Int, outputLimit: Int) {
        self.fd = fd
        self.lines = LineBuffer(maxLineBytes: maxLineBytes)
        self.outputLimit = outputLimit
    }

    var wantsWrite: Bool { !output.isEmpty }

    /// Queues bytes and tries to write them right away. Overflow closes the connection.
    func send(_ bytes: [UInt8]) {
        guard !closed else { return }
        if output.count + bytes.count > outputLimit {
            closed = true
            return
        }
        output.append(contentsOf: bytes)
        flush()
    }

    /// Writes as much pending output as the socket takes.
    func flush() {
        while !output.isEmpty && !closed {
            let n = output.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                output.removeFirst(n)
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                closed = true
            }
        }
        if output.isEmpty && closeAfterFlush { closed = true }
    }

    /// Reads what is available (up to `max` bytes); nil at EOF or error (the peer is then closed).
    func readAvailable(max: Int = 65536) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { return Array(buf[0..<n]) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return [] }
            closed = true
            return nil
        }
    }

    func close() {
        _ = Glibc.close(fd)
        closed = true
    }
}
