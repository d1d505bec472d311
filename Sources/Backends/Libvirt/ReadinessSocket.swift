import Foundation
import Models

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
        guard var (storage, length) = Self.socketAddress(HostPorts.connectAddress(port), port: port.hostPort) else { return nil }
        let fd = socket(Int32(storage.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let rc = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        guard rc == 0 else { close(fd); return nil }
        self.fd = fd
    }

    /// An IPv4 or IPv6 socket address for `address`:`port`; nil when `address` is neither.
    static func socketAddress(_ address: String, port: Int) -> (sockaddr_storage, socklen_t)? {
        var storage = sockaddr_storage()
        let netPort = in_port_t(UInt16(port).bigEndian)
        let ok: Bool = withUnsafeMutablePointer(to: &storage) { p in
            if address.contains(":") {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                    a.pointee.sin6_family = sa_family_t(AF_INET6)
                    a.pointee.sin6_port = netPort
                    return inet_pton(AF_INET6, address, &a.pointee.sin6_addr) == 1
                }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                a.pointee.sin_family = sa_family_t(AF_INET)
                a.pointee.sin_port = netPort
                return inet_pton(AF_INET, address, &a.pointee.sin_addr) == 1
            }
        }
        guard ok else { return nil }
        let length = address.contains(":") ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        return (storage, socklen_t(length))
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
