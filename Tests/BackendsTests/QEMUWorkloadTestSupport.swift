import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

/// Host-side helpers for the workload tests: fixture paths that are not `.elf` images, free
/// ports, a listener that holds a port, and a small HTTP client (blocking sockets on their own
/// thread, so the two-thread cooperative pool is never held).
enum WorkloadTest {
    /// A file under the fixtures' build directory; the test fails when it is missing.
    static func fixtureFile(_ relative: String) throws -> String {
        let path = Fixtures.directory + "/" + relative
        try #require(FileManager.default.fileExists(atPath: path),
                     "fixture \(path) missing: run make -C fixtures (and make -C fixtures netguest), or set UNITOP_FIXTURES")
        return path
    }

    /// The accelerators a Linux guest (the netguest) is booted with: TCG, and `auto` when it
    /// picks a KVM that boots a stock kernel. Not where `auto` falls back to TCG (the TCG case
    /// covers it), nor under PVM (`kvm_pvm`, a paravirtual KVM that runs only PVM-enabled
    /// kernels: Debian's kernel hangs before its first byte there). Says so when it leaves it out.
    static let linuxAccels: [Accel] = {
        if access("/dev/kvm", R_OK | W_OK) != 0 {
            print("skipped: netguest with --accel auto (no usable /dev/kvm: auto is TCG, tested as such)")
            return [.tcg]
        }
        if FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm") {
            print("skipped: netguest with --accel auto (KVM here is PVM, kvm_pvm, which boots only PVM-enabled kernels; Debian's kernel hangs)")
            return [.tcg]
        }
        return [.tcg, .auto]
    }()

    /// A loopback TCP socket bound (and listening) on a port the kernel picked.
    final class Listener {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            try #require(fd >= 0)
            self.fd = fd
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &a) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { s in
                    bind(fd, s, len) == 0 && listen(fd, 4) == 0 && getsockname(fd, s, &len) == 0
                }
            }
            try #require(ok, "cannot bind a loopback port: \(String(cString: strerror(errno)))")
            port = Int(UInt16(bigEndian: a.sin_port))
        }

        func close() { _ = Glibc.close(fd) }
    }

    /// A port that was free a moment ago (bound to port 0, then released).
    static func freePort() throws -> Int {
        let l = try Listener()
        defer { l.close() }
        return l.port
    }

    /// The body of `GET path` on 127.0.0.1:`port`, nil when nothing (complete) came back within
    /// `timeout` seconds.
    static func get(port: Int, path: String, timeout: Double = 2) async -> String? {
        await withCheckedContinuation { c in
            Thread { c.resume(returning: blockingGet(port: port, path: path, timeout: timeout)) }.start()
        }
    }

    private static func blockingGet(port: Int, path: String, timeout: Double) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }  // timed out or reset
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        let text = String(decoding: out, as: UTF8.self)
        guard text.hasPrefix("HTTP/"), let split = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[split.upperBound...])
    }

    /// Whether the instance's console.log comes to contain `text` within `timeout` seconds (read
    /// from the file: no console stream, whose watch thread other suites count). Records the
    /// log's end when it does not.
    static func consoleLog(_ env: QEMUTestEnvironment, _ name: String, contains text: String, timeout: Double = 30) async -> Bool {
        var log = ""
        let found = await Wait.until(timeout: timeout) {
            log = String(decoding: FileIO.readSmall(env.files(name).consoleLog, limit: 1 << 20) ?? [], as: UTF8.self)
            return log.contains(text)
        }
        if !found { Issue.record("\(name): no '\(text)' on the console; it ends with:\n\(log.suffix(2000))") }
        return found
    }

    /// CPU ticks (utime + stime) a process has used so far.
    static func cpuTicks(pid: Int32) -> UInt64? { ProcStat.read(pid: pid)?.cpuTicks }
}
