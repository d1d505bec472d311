import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

/// QEMU starts before its monitor has loaded (see ``MonitorHandoff``) and the monitor coalesces
/// serial reads: neither may lose, reorder or delay-forever a console byte.
@Suite("QEMU monitor: hand-off and coalesced console", .serialized)
struct QEMUMonitorHandoffTests {
    /// Every one of several quick starts keeps the boot banner from its first byte: QEMU runs
    /// before the monitor reads anything, so the bytes must wait in the serial socket pair.
    @Test func everyQuickStartLogsTheBannerFromTheFirstByte() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let b = env.backend
        let banner = Array("unitop-fixture hello booted\r\n".utf8)
        for i in 0..<8 {
            let name = "quick\(i)"
            let machine = i % 2 == 0 ? "microvm" : "pc"
            let inst = try await b.start(try env.spec("hello", name: name, machine: machine))
            #expect(inst.state == .running)
            let log = env.files(name).consoleLog
            let arrived = await Wait.until(timeout: 30, interval: 0.01) { () async -> Bool in
                (FileIO.readSmall(log, limit: 4096)?.count ?? 0) >= banner.count
            }
            #expect(arrived, "\(name) (\(machine)): no banner")
            let head = FileIO.readSmall(log, limit: banner.count) ?? []
            #expect(head == banner, "\(name) (\(machine)): console.log starts with \(String(decoding: head, as: UTF8.self).debugDescription)")
            // The boot time is recorded right after the first byte is logged.
            var boot: Double?
            _ = await Wait.until(timeout: 10, interval: 0.01) { () async -> Bool in
                boot = try? await b.instance(named: name).bootMillis
                return boot != nil
            }
            #expect(boot.map { $0 >= 0 && $0 < 60_000 } == true, "\(name): bootMillis \(String(describing: boot))")
            try await b.kill(name)
            try await b.remove(name, force: true)
        }
    }

    /// A raw viewer on the monitor's console socket during a flood receives exactly the bytes
    /// `console.log` got from the moment it was accepted, in order, and the log passes the
    /// fixture's checksum: coalesced reads neither lose nor reorder anything on either path.
    @Test func coalescedFloodReachesLogAndViewerInOrder() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let b = env.backend
        let count = 400_000
        _ = try await b.start(try env.spec("flood", name: "cflood", append: "bytes=\(count)"))
        let viewer = try RawConsoleViewer(path: env.files("cflood").consoleSocket)
        let done = try await QEMUTest.waitForState(b, "cflood", [.exited, .crashed, .stopped], timeout: 120)
        #expect(done.state == .exited)
        #expect(await Wait.until(timeout: 20) { () async -> Bool in viewer.ended })
        let log = try #require(FileIO.readSmall(env.files("cflood").consoleLog, limit: 1 << 24))
        #expect(try QEMUConsoleTests.verifyFlood(log, count: count))
        let seen = viewer.bytes
        #expect(seen.count > count / 2, "the viewer got only \(seen.count) bytes")
        #expect(seen.elementsEqual(log.suffix(seen.count)), "the viewer's bytes are not the end of console.log")
    }

    /// A monitor that stops reading (SIGSTOP) until QEMU's serial pipe is full makes the guest's
    /// UART wait, not drop: once it reads again the flood completes byte for byte.
    @Test func stalledMonitorBacksThePipeUpWithoutLoss() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let b = env.backend
        let count = 2_500_000
        let files = env.files("stall")
        _ = try await b.start(try env.spec("flood", name: "stall", append: "bytes=\(count)"))
        let pidText = String(decoding: FileIO.readSmall(files.monitorPid, limit: 128) ?? [], as: UTF8.self)
        let monitor = try #require(PidRecord.parse(pidText)).pid
        #expect(await Wait.until(timeout: 60, interval: 0.01) { () async -> Bool in
            (try? FileManager.default.attributesOfItem(atPath: files.consoleLog)[.size] as? Int) ?? 0 > 50_000
        })
        #expect(kill(monitor, SIGSTOP) == 0)
        // Another read end of the same pipe, only to see how full it is (never read from).
        let probe = open("/proc/\(monitor)/fd/\(MonitorHandoff.serialFd)", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        let capacity = probe >= 0 ? fcntl(probe, 1032 /* F_GETPIPE_SZ */) : -1
        let filled = await Wait.until(timeout: 60, interval: 0.02) { () async -> Bool in
            var queued: Int32 = 0
            return probe >= 0 && ioctl(probe, UInt(FIONREAD), &queued) == 0 && queued >= capacity - 4096
        }
        if probe >= 0 { close(probe) }
        #expect(kill(monitor, SIGCONT) == 0)
        #expect(probe >= 0 && capacity > 0 && filled, "pipe never filled (capacity \(capacity))")
        let done = try await QEMUTest.waitForState(b, "stall", [.exited, .crashed, .stopped], timeout: 180)
        #expect(done.state == .exited, "\(done.exitReason ?? "")")
        let log = try #require(FileIO.readSmall(files.consoleLog, limit: 1 << 24))
        #expect(try QEMUConsoleTests.verifyFlood(log, count: count))
    }

    /// A QEMU binary that cannot be run fails the start with the reason, leaving nothing behind.
    @Test func missingQEMUBinaryFailsCleanly() async throws {
        var config = Config()
        config.qemu.binary = "/nonexistent/qemu-system-x86_64"
        let env = try QEMUTestEnvironment(config: config)
        defer { env.cleanUp() }
        do {
            _ = try await env.backend.start(try env.spec("hello", name: "nobin"))
            Issue.record("start should have failed")
        } catch let UnitopError.launchFailed(name, message) {
            #expect(name == "nobin")
            #expect(message.contains("/nonexistent/qemu-system-x86_64") && message.contains("No such file"), "\(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: env.files("nobin").directory))
        #expect(try await env.backend.instances().isEmpty)
    }
}

/// Reads a monitor console socket on its own thread until end of file.
final class RawConsoleViewer: @unchecked Sendable {
    private let lock = NSLock()
    private var data: [UInt8] = []
    private var done = false

    init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        try #require(bytes.count < MemoryLayout.size(ofValue: addr.sun_path))
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, c) in bytes.enumerated() { raw[i] = c }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw UnitopError.failed("cannot connect to \(path): \(String(cString: strerror(errno)))")
        }
        Thread.detachNewThread { [self] in
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                lock.lock(); data += buf[0..<n]; lock.unlock()
            }
            close(fd)
            lock.lock(); done = true; lock.unlock()
        }
    }

    var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return data }
    var ended: Bool { lock.lock(); defer { lock.unlock() }; return done }
}
