import Foundation
import Models

/// Host-side checks for published ports, shared by both backends.
///
/// Before anything is created, each published port is bound once on its host address and
/// released again: a port that is taken is then a clear error before the start, instead of
/// QEMU's "Could not set up host forwarding rule" after it.
enum HostPorts {
    /// Throws `.launchFailed` naming the first published port that cannot be bound.
    static func checkAvailable(_ ports: [PortMapping], instance name: String) throws(UnitopError) {
        for p in ports {
            if let problem = bindProblem(p) {
                throw .launchFailed(name: name, message: "host port \(p.displayAddress):\(p.hostPort)/\(p.protocol.rawValue) \(problem)")
            }
        }
    }

    /// nil when `p` can be bound now; else why not ("is already in use", …).
    static func bindProblem(_ p: PortMapping) -> String? {
        let v6 = p.hostAddress.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(p.protocol == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return "cannot be checked: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        // TCP as QEMU's slirp binds it (SO_REUSEADDR), so a port in TIME_WAIT is not reported as
        // taken; a listening socket still is. Not for UDP, where it would let two binders share.
        if p.protocol == .tcp {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let rc: Int32
        if v6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(p.hostPort).bigEndian)
            guard inet_pton(AF_INET6, p.hostAddress, &a.sin6_addr) == 1 else { return "has an invalid address" }
            rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(p.hostPort).bigEndian)
            guard inet_pton(AF_INET, p.hostAddress, &a.sin_addr) == 1 else { return "has an invalid address" }
            rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard rc == 0 else {
            switch errno {
            case EADDRINUSE: return "is already in use"
            case EADDRNOTAVAIL: return "cannot be bound: \(p.hostAddress) is not an address of this host"
            case EACCES: return "needs privileges to bind (ports below 1024)"
            default: return "cannot be bound: \(String(cString: strerror(errno)))"
            }
        }
        if p.protocol == .tcp, listen(fd, 1) != 0, errno == EADDRINUSE { return "is already in use" }
        return nil
    }

    /// Where a probe connects for `p`: loopback for a wildcard host address.
    static func connectAddress(_ p: PortMapping) -> String {
        switch p.hostAddress {
        case "0.0.0.0": return "127.0.0.1"
        case "::": return "::1"
        default: return p.hostAddress
        }
    }
}
