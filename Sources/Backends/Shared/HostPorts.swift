import Foundation
import Models
import QEMUMonitor

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
        var fd: Int32 = -1
        var socketError: Int32 = 0
        let result = SocketAddress.with(p.hostAddress, port: p.hostPort) { family, addr, len -> Int32 in
            fd = socket(family, Int32(p.protocol == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { socketError = errno; return -1 }
            // TCP as QEMU's slirp binds it (SO_REUSEADDR), so a port in TIME_WAIT is not reported
            // as taken; a listening socket still is. Not for UDP, where it would let two binders share.
            if p.protocol == .tcp {
                var one: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            return bind(fd, addr, len)
        }
        defer { if fd >= 0 { close(fd) } }
        guard let rc = result else { return "has an invalid address" }
        guard fd >= 0 else { return "cannot be checked: \(String(cString: strerror(socketError)))" }
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
}
