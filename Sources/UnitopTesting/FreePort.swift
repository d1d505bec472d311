import Foundation

/// Host ports for tests: picked by the kernel (bind to port 0), never fixed numbers.
public enum FreePort {
    /// A loopback TCP port nobody listens on now (bound once and released; a test that needs it
    /// free for longer publishes it at once).
    public static func loopbackTCP() -> Int? {
        loopbackTCP(count: 1)?.first
    }

    /// `count` distinct loopback TCP ports nobody listens on now. All of them are held bound until
    /// the last is picked, so the kernel cannot hand out the same port twice (two separate
    /// ``loopbackTCP()`` calls can: each port is released before the next is asked for).
    public static func loopbackTCP(count: Int) -> [Int]? {
        guard count > 0 else { return [] }
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            sockets.append(fd)
            guard let port = bindLoopback(fd) else { return nil }
            ports.append(port)
        }
        return ports
    }

    /// Binds `fd` to 127.0.0.1 on a port the kernel picks and returns that port.
    static func bindLoopback(_ fd: Int32) -> Int? {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: addr.sin_port)) : nil
    }
}
