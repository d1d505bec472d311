@testable import Backends
import Foundation
import Models
import UnitopTesting

/// Helpers of the libvirt workload tests: free ports, a tiny HTTP client, the network guest.
enum LibvirtWorkloadSupport {
    /// A TCP port free on 127.0.0.1 now.
    static func freePort() throws -> Int { try LibvirtReconnectTests.freePort() }

    /// 127.0.0.1:`port` as a socket address, for `body`.
    static func withLoopback<T>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// A listening socket on 127.0.0.1:`port` (taken until closed).
    static func listen(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let ok = withLoopback(port: port) { bind(fd, $0, $1) == 0 }
        guard fd >= 0, ok, Glibc.listen(fd, 4) == 0 else { close(fd); throw UnitopError.failed("cannot listen on \(port)") }
        return fd
    }

    /// `GET path` on 127.0.0.1:`port` over HTTP/1.0; the body, or nil when no answer came within
    /// `timeout` seconds (with user networking the connect succeeds before the guest listens).
    static func get(port: Int, path: String, timeout: Double = 2) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = withLoopback(port: port) { connect(fd, $0, $1) == 0 }
        guard connected else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: guest\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        var response: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while response.count < 1 << 20 {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            response += buf.prefix(n)
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/"), let split = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[split.upperBound...])
    }

    /// Polls `get` (off the cooperative pool: it blocks) until it answers or `timeout` passes.
    static func waitForHTTP(port: Int, path: String, timeout: Double) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let body: String? = await withCheckedContinuation { cont in
                Thread { cont.resume(returning: get(port: port, path: path)) }.start()
            }
            if let body { return body }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return nil
    }

    /// The network guest (Debian kernel + busybox initramfs), when it has been built.
    static var netguest: (kernel: String, initrd: String)? {
        let dir = Fixtures.directory + "/netguest"
        let k = dir + "/vmlinuz", i = dir + "/initrd.cpio.gz"
        return FileManager.default.fileExists(atPath: k) && FileManager.default.fileExists(atPath: i) ? (k, i) : nil
    }

    /// A disk fixture (`disk.img`, `disk.qcow2`).
    static func diskFixture(_ file: String) -> String { Fixtures.directory + "/" + file }

    /// A folder libvirt-qemu can read (mode 0755 under /tmp), removed by the caller.
    static func sharedFolder(files: [String: String], mode: mode_t = 0o755) throws -> String {
        let dir = "/tmp/ut-vol-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        for (name, text) in files {
            try text.write(toFile: dir + "/" + name, atomically: false, encoding: .utf8)
            chmod(dir + "/" + name, 0o644)
        }
        chmod(dir, mode)
        return dir
    }

    /// Runs a blocking command on its own thread.
    static func runOffPool(_ argv: [String], environment: [String: String]?, timeout: Double) async throws -> RunResult {
        try await withCheckedThrowingContinuation { cont in
            Thread {
                do { cont.resume(returning: try Run.command(argv, environment: environment, timeout: timeout)) } catch { cont.resume(throwing: error) }
            }.start()
        }
    }

    /// Everything unitop leaves on the host for `name` (none of it may exist after a refused start).
    static func leftovers(_ name: String) -> [String] {
        let files = [".kernel", ".initrd", ".disk"].map { LibvirtBackend.systemImageDirectory + "/" + name + $0 }
            + ["console", "exit"].map { LibvirtBackend.systemLogDirectory + "/unitop-" + name + ".\($0).log" }
        return files.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
