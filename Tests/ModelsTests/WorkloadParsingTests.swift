import Foundation
import Models
import Testing

/// The workload flags' parsers (`--net`, `-p`, `-v`, `--disk`): the spellings users type, and one
/// clear error for everything else.
@Suite struct WorkloadParsingTests {
    @Test func networkModes() throws {
        #expect(try NetworkMode.parse("none") == .none)
        #expect(try NetworkMode.parse("user") == .user)
        #expect(try NetworkMode.parse("bridge=br0") == .bridge("br0"))
        #expect(try NetworkMode.parse("tap=tap0") == .tap("tap0"))
        #expect(try NetworkMode.parse("network=default") == .network("default"))
        for bad in ["", "nat", "bridge=", "bridge=-x", "tap=a b", "bridge=a;rm", "macvtap=x", "network=\(String(repeating: "n", count: 65))"] {
            #expect(throws: UnitopError.self, "\(bad)") { try NetworkMode.parse(bad) }
        }
        // The text form round-trips through JSON, as `ps --json` writes it.
        let json = try JSONEncoder().encode([NetworkMode.bridge("br0"), .none])
        #expect(String(decoding: json, as: UTF8.self) == #"["bridge=br0","none"]"#)
        #expect(try JSONDecoder().decode([NetworkMode].self, from: json) == [.bridge("br0"), .none])
    }

    @Test func publishedPortsLikeDockerAndKraft() throws {
        #expect(try PortMapping.parse("8080:80") == PortMapping(hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 80))
        #expect(try PortMapping.parse("0.0.0.0:8080:80/udp")
                == PortMapping(hostAddress: "0.0.0.0", hostPort: 8080, guestPort: 80, protocol: .udp))
        #expect(try PortMapping.parse("[::1]:8443:443/tcp") == PortMapping(hostAddress: "::1", hostPort: 8443, guestPort: 443))
        #expect(try PortMapping.parse("8080:80/TCP").protocol == .tcp)
        for bad in ["80", "99999:80", "0:80", "8080:0", "a:80", "8080:80/sctp", "1.2.3:8080:80", "300.1.1.1:1:1",
                    "[::1:80:80", "[zz]:1:1", "1:2:3:4", "+80:80", "", ":80", "8080:"] {
            #expect(throws: UnitopError.self, "\(bad)") { try PortMapping.parse(bad) }
        }
        let p = try PortMapping.parse("8080:80")
        #expect(p.shortDescription == "8080→80")
        #expect(try PortMapping.parse("0.0.0.0:53:53/udp").shortDescription == "0.0.0.0:53→53/udp")
        // ps --json's port objects.
        let json = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
        for key in ["hostAddress", "hostPort", "guestPort", "protocol"] { #expect(json.contains("\"\(key)\"")) }
    }

    @Test func portClashes() throws {
        let a = try PortMapping.parse("8080:80"), b = try PortMapping.parse("8080:81"), c = try PortMapping.parse("8080:80/udp")
        #expect(a.clashes(with: b))
        #expect(!a.clashes(with: c))
        #expect(a.clashes(with: try PortMapping.parse("0.0.0.0:8080:90")))
        #expect(!a.clashes(with: try PortMapping.parse("127.0.0.2:8080:90")))
    }

    @Test func volumes() throws {
        #expect(try VolumeMount.parse("/srv/www:fs0", baseDirectory: "/x") == VolumeMount(hostPath: "/srv/www", tag: "fs0"))
        #expect(try VolumeMount.parse("www:fs0:ro", baseDirectory: "/x") == VolumeMount(hostPath: "/x/www", tag: "fs0", readOnly: true))
        #expect(try VolumeMount.parse("www:fs0:rw", baseDirectory: "/x/").readOnly == false)
        for bad in ["/srv", ":fs0", "/srv:", "/srv:a b", "/srv:\(String(repeating: "t", count: 32))", "/srv:fs0:rx:ro"] {
            #expect(throws: UnitopError.self, "\(bad)") { try VolumeMount.parse(bad, baseDirectory: "/") }
        }
    }

    @Test func disksDecideTheirFormatFromBytesNotNames() throws {
        let dir = try TemporaryFolder()
        let qcow = dir.path + "/looks-raw.img", raw = dir.path + "/looks.qcow2"
        // A qcow2 v3 header: 64 KiB clusters, 1 MiB virtual size, no backing file.
        var header = [UInt8](repeating: 0, count: 600)
        header.replaceSubrange(0..<8, with: [0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3])
        header[23] = 16; header[29] = 0x10
        try Data(header).write(to: URL(fileURLWithPath: qcow))
        try Data([UInt8](repeating: 0xAB, count: 600)).write(to: URL(fileURLWithPath: raw))
        #expect(try WorkloadFiles.checkDisk(path: qcow, readOnly: false).format == .qcow2)
        #expect(try WorkloadFiles.checkDisk(path: raw, readOnly: true) == DiskAttachment(path: raw, format: .raw, readOnly: true))
        #expect(try DiskRequest.parse("d.img:ro", baseDirectory: "/b") == DiskRequest(path: "/b/d.img", readOnly: true))
        #expect(throws: UnitopError.self) { try WorkloadFiles.checkDisk(path: dir.path + "/missing.img", readOnly: false) }
        #expect(throws: UnitopError.self) { try WorkloadFiles.checkDisk(path: dir.path, readOnly: false) }
        let empty = dir.path + "/empty.img"
        FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(throws: UnitopError.self) { try WorkloadFiles.checkDisk(path: empty, readOnly: false) }
        // A FIFO is refused without blocking on it.
        let fifo = dir.path + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: UnitopError.self) { try WorkloadFiles.checkInitrd(fifo) }
    }

    @Test func guestExitConvention() {
        #expect(GuestExit.debugExitValue(qemuStatus: 83) == 41)
        #expect(GuestExit.debugExitValue(qemuStatus: 15) == 7)
        #expect(GuestExit.debugExitValue(qemuStatus: 0) == nil)
        let halt = GuestExit.outcome(debugExitValue: 41)
        #expect(halt.state == .exited && halt.exitCode == 0 && halt.reason.contains("Unikraft"))
        let crash = GuestExit.outcome(debugExitValue: 42)
        #expect(crash.state == .crashed && crash.exitCode == nil && crash.reason.contains("42"))
        let seven = GuestExit.outcome(debugExitValue: 7)
        #expect(seven.state == .exited && seven.exitCode == 7)
    }

    @Test func usernetTableSaysWhenTheGuestAccepted() throws {
        let pending = """
        Hub -1 (n0):\r
          Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r
          TCP[SYN_SENT]       8       127.0.0.1 18099       10.0.2.15    80     0     0\r
          TCP[HOST_FORWARD]   3       127.0.0.1 18099       10.0.2.15    80     0     0\r
        """
        #expect(UsernetTable(text: pending).rows.count == 2)
        #expect(!UsernetTable(text: pending).guestAccepted(hostPort: 18099))
        let accepted = pending.replacingOccurrences(of: "SYN_SENT", with: "ESTABLISHED")
        #expect(UsernetTable(text: accepted).guestAccepted(hostPort: 18099))
        #expect(!UsernetTable(text: accepted).guestAccepted(hostPort: 18100))
        #expect(UsernetTable(text: "garbage [x] 1 2\n\u{0}\u{1b}[31m").rows.isEmpty)
        #expect(ReadinessSchedule.probedPort([try PortMapping.parse("53:53/udp"), try PortMapping.parse("80:80")])?.hostPort == 80)
    }
}

/// A fresh temporary folder, removed when the value goes away.
final class TemporaryFolder {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "unitop-workload-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
