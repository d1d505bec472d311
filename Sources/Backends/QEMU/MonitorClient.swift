import CUnitopSys
import Foundation
import Models
import QEMUMonitor
#if canImport(Glibc)
import Glibc
#endif

/// Talks to an instance's monitor over its control socket (blocking; call off the async pool).
enum MonitorClient {
    /// Longest reply accepted.
    static let maxReplyBytes = 1 << 20

    enum Failure: Error { case unreachable(String), noReply, malformed }

    /// Sends one request and waits (up to `timeout` seconds) for its reply.
    static func request(_ socket: String, _ req: ControlRequest, timeout: Double = 30) throws -> ControlReply {
        let fd = unitop_unix_connect(socket)
        guard fd >= 0 else { throw Failure.unreachable(String(cString: strerror(-fd))) }
        defer { close(fd) }
        guard let data = try? JSONCoding.encoder().encode(req) else { throw Failure.malformed }
        guard FileIO.writeAll(fd, [UInt8](data) + [0x0A]) else { throw Failure.noReply }
        var lines = LineBuffer(maxLineBytes: maxReplyBytes)
        let deadline = Date().addingTimeInterval(timeout)
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            let r = poll(&p, 1, min(ms, 1000))
            if r < 0 && errno != EINTR { throw Failure.noReply }
            if r <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { throw Failure.noReply }
            for item in lines.append(buf[0..<n]) {
                guard case .line(let l) = item else { throw Failure.malformed }
                guard let reply = try? JSONCoding.decoder().decode(ControlReply.self, from: Data(l)) else { throw Failure.malformed }
                return reply
            }
        }
        throw Failure.noReply
    }

    /// Writes bytes to the console socket (input for the guest).
    static func sendConsole(_ socket: String, _ bytes: [UInt8]) throws {
        let fd = unitop_unix_connect(socket)
        guard fd >= 0 else { throw Failure.unreachable(String(cString: strerror(-fd))) }
        defer { close(fd) }
        guard FileIO.writeAll(fd, bytes) else { throw Failure.noReply }
    }
}

/// Runs blocking work on a global queue and resumes the caller when it is done.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { cont in
        DispatchQueue.global().async {
            do { cont.resume(returning: try work()) } catch { cont.resume(throwing: error) }
        }
    }
}
