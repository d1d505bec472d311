import Foundation
import Models
import QEMUMonitor

/// One TCP connection of the readiness probe to a published port on the host.
///
/// With QEMU user networking the connect succeeds at once (slirp accepts for the guest), so the
/// socket says only that the guest refused (slirp then closes it: EOF or reset) or already spoke
/// (data to read); whether the guest accepted is read from `info usernet` (see ``UsernetTable``).
final class ReadinessSocket {
    enum Status { case waiting, closed, data }

    private let fd: Int32

    /// Connects to `port`'s host side (loopback for a wildcard address); nil when nothing
    /// listens there yet or the address is unusable.
    init?(_ port: PortMapping) {
        let connected: Int32? = SocketAddress.with(port.connectAddress, port: port.hostPort) { family, address, length in
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return -1 }
            guard connect(fd, address, length) == 0 else { close(fd); return -1 }
            return fd
        }
        guard let fd = connected, fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// What the socket says now, without blocking or consuming anything.
    func status() -> Status {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n > 0 { return .data }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .waiting : .closed
    }
}
