import Foundation
import Models
import Testing
import UnitopTesting

extension TUIEndToEnd {
    /// Published ports in the real UI: the PORTS column and the details of an instance started
    /// with `unitop run -p`, on the qemu backend and on libvirt's `qemu:///system` (the start
    /// form's Ports field: ``ActionTests``).
    @Suite struct WorkloadTests {
        @Test func publishedPortsShowInThePortsColumnAndTheDetails() throws {
            let s = try TUISession(); defer { s.close() }
            let port = try #require(FreePort.loopbackTCP())
            // QEMU publishes the port on user networking even though hello does not listen.
            try s.start("hello", name: "web", extra: ["--publish", "127.0.0.1:\(port):80"])
            try s.start("hello", name: "plain")
            try s.open(width: 130, height: 32)
            #expect(s.waitForRow("web", containing: "running"), "\(s.screen)")
            #expect(s.waitForRow("web", containing: "\(port)→80"), "PORTS column: \(s.screen)")
            let lines = try s.capture()
            let header = try #require(lines.first { $0.contains("NAME") && $0.contains("STATE") })
            #expect(header.contains("PORTS") && header.contains("READY"), "\(header)")
            #expect(TUISession.row("plain", in: lines)?.contains("→") == false)
            try s.select("web")
            try s.tmux?.sendKeys("i")
            #expect(s.waitFor("details: web"), "\(s.screen)")
            #expect(s.waitFor { $0.contains { $0.range(of: #"Ports\s+127\.0\.0\.1:\#(port) → 80/tcp"#, options: .regularExpression) != nil } },
                    "details list the port: \(s.screen)")
            #expect(s.waitFor { $0.contains { $0.range(of: #"Network\s+user"#, options: .regularExpression) != nil } }, "\(s.screen)")
        }

        @Test func publishedPortsShowOnLibvirtToo() throws {
            let s = try TUISession(); defer { s.close() }
            let libvirt = ["--backend", "libvirt", "--connect", "qemu:///system"]
            // Domain names are global on qemu:///system (short: the NAME column is 12 wide here);
            // unitop removes all it made for it.
            let name = "utp-\(UUID().uuidString.prefix(6).lowercased())"
            defer { _ = try? s.h.unitop(["rm", "--force", name] + libvirt, timeout: 60) }
            let port = try #require(FreePort.loopbackTCP())
            let run = try s.h.unitop(["run", Fixtures.path("hello"), "--name", name, "--accel", "tcg", "--detach",
                                      "-p", "127.0.0.1:\(port):80"] + libvirt, timeout: 120)
            try #require(run.status == 0, "libvirt run (libvirtd up? scripts/libvirt-up.sh): \(run.stderr)")
            try s.open(width: 130, height: 32, arguments: libvirt)
            #expect(s.waitForRow(name, containing: "\(port)→80"), "PORTS column on libvirt: \(s.screen)")
        }
    }
}
