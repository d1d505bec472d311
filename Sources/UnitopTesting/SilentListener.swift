import Foundation
import Models

/// A TCP socket on 127.0.0.1 that completes connections (kernel backlog) but never speaks: a host
/// that hangs. Closed by ``close()``.
public final class SilentListener: Sendable {
    public let fd: Int32
    public let port: UInt16

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw UnitopError.failed("socket failed") }
        guard let port = FreePort.bindLoopback(fd), listen(fd, 8) == 0 else {
            Glibc.close(fd)
            throw UnitopError.failed("bind/listen failed")
        }
        self.port = UInt16(port)
    }

    public func close() { Glibc.close(fd) }
}
