import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IP socket address built from text, for the calls that take a `sockaddr` (bind, connect).
public enum SocketAddress {
    /// Calls `body` with the family (`AF_INET`/`AF_INET6`), the address and its length for
    /// `address` (a dotted quad, or an IPv6 address without brackets) and `port`; nil when
    /// `address` is neither.
    public static func with<T>(_ address: String, port: Int,
                               _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        if address.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            guard inet_pton(AF_INET6, address, &a.sin6_addr) == 1 else { return nil }
            return withUnsafePointer(to: &a) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(AF_INET6, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard inet_pton(AF_INET, address, &a.sin_addr) == 1 else { return nil }
        return withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(AF_INET, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
