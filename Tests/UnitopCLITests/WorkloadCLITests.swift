import Foundation
import Models
import Testing
import UnitopTesting

/// `unitop run`'s workload flags (`--net`, `-p`, `-v`, `--disk`, `--initrd`, `-- ARGS`) and where
/// their values show: `ps`, `ps --json`, `inspect`, `images`.
@Suite struct WorkloadCLITests {
    @Test func malformedWorkloadFlagsAreUsageErrorsAndStartNothing() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let hello = Fixtures.path("hello")
        let cases: [([String], String)] = [
            (["-p", "99999:80"], "invalid port mapping '99999:80'"),
            (["-p", "8080"], "invalid port mapping '8080'"),
            (["--publish", "127.0.0.1:8080:80/sctp"], "protocol must be tcp or udp"),
            (["-p", "300.1.1.1:8080:80"], "not an IPv4 address"),
            (["--net", "wifi"], "invalid network 'wifi'"),
            (["--net", "bridge="], "invalid bridge name"),
            (["-v", "/tmp"], "invalid volume '/tmp'"),
            (["--volume", "/tmp:no spaces"], "invalid volume tag"),
            (["--disk", ":ro"], "invalid disk ':ro'"),
            (["--net", "none", "-p", "8080:80"], "--publish needs user networking"),
        ]
        for (flags, expected) in cases {
            let r = try h.unitop(["run", hello, "--name", "w1", "--detach"] + flags)
            #expect(r.status == 2, "\(flags): exit \(r.status) \(r.stderr)")
            #expect(r.stderrLines.first.map { $0.hasPrefix("unitop: ") && $0.contains(expected) } == true, "\(flags): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(try h.instances().isEmpty)
        #expect(h.leftoverProcesses().isEmpty)
    }

    @Test func missingWorkloadFilesFailWithOneLine() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let hello = Fixtures.path("hello")
        let missing = h.home.root + "/missing"
        let cases: [([String], String)] = [
            (["--initrd", missing + ".cpio"], "initrd \(missing).cpio: no such file"),
            (["-v", missing + ":www"], "volume 'www': \(missing): no such file"),
            (["--disk", missing + ".img"], "disk \(missing).img: no such file"),
            (["-v", Fixtures.path("hello") + ":www"], "is not a directory"),
        ]
        for (flags, expected) in cases {
            let r = try h.unitop(["run", hello, "--name", "w1", "--detach"] + flags)
            #expect(r.status == 1, "\(flags): exit \(r.status) \(r.stderr)")
            #expect(r.stderrLines.count == 1 && r.stderr.hasPrefix("unitop: ") && r.stderr.contains(expected), "\(flags): \(r.stderr)")
        }
        #expect(try h.instances().isEmpty)
    }

    @Test func workloadFieldsArePresentAndEmptyWhenUnset() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "plain")
        let r = try h.unitop(["ps", "--json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let plain = try #require(array.first { $0["name"] as? String == "plain" })
        let inspect = try h.unitop(["inspect", "plain"])
        let inspected = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        for object in [plain, inspected] {
            for key in ["readyMillis", "initrd"] { #expect(object[key] is NSNull, "\(key): \(String(describing: object[key]))") }
            for key in ["ports", "volumes", "disks", "addresses"] {
                #expect((object[key] as? [Any])?.isEmpty == true, "\(key): \(String(describing: object[key]))")
            }
            // The network a guest was given: none (null only where a backend cannot know it).
            #expect(object["network"] as? String == "none" || object["network"] is NSNull, "\(String(describing: object["network"]))")
            #expect(object["unikraft"] as? Bool == false)
        }
        let table = try h.unitop(["ps"])
        let header = try #require(table.stdout.split(separator: "\n").first)
        #expect(header.contains("READY") && header.contains("PORTS"), "\(header)")
    }

    @Test func aPublishedPortIsListedEverywhere() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let port = try #require(FreePort.loopbackTCP())
        // hello has no network stack: QEMU publishes the port, nothing in the guest answers on it.
        try h.start("hello", name: "web", extra: ["-p", "127.0.0.1:\(port):80"])
        let web = try #require(try h.waitFor("web") { $0.state == .running })
        #expect(web.ports == [PortMapping(hostAddress: "127.0.0.1", hostPort: port, guestPort: 80, protocol: .tcp)])
        #expect(web.network == .user)
        #expect(web.readyMillis == nil, "nothing in hello accepts a connection")
        let r = try h.unitop(["ps", "--json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let object = try #require(array.first { $0["name"] as? String == "web" })
        let ports = try #require(object["ports"] as? [[String: Any]])
        #expect(ports.count == 1)
        #expect(ports.first?["hostAddress"] as? String == "127.0.0.1")
        #expect(ports.first?["hostPort"] as? Int == port)
        #expect(ports.first?["guestPort"] as? Int == 80)
        #expect(ports.first?["protocol"] as? String == "tcp")
        let table = try h.unitop(["ps"])
        #expect(table.stdout.split(separator: "\n").contains { $0.hasPrefix("web ") && $0.contains("\(port)→80") }, "\(table.stdout)")
        // The same port again is refused before anything starts.
        let again = try h.unitop(["run", Fixtures.path("hello"), "--name", "web2", "--accel", "tcg", "--detach", "-p", "\(port):80"])
        #expect(again.status == 1 && again.stderrLines.count == 1 && again.stderr.contains("\(port)"), "\(again.stderr)")
        #expect(try h.instance("web2") == nil)
    }

    @Test func applicationArgumentsFollowTheSeparator() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        // hello prints its command line: the parameters, then -- and the arguments.
        try h.start("hello", name: "args", extra: ["--append", "heartbeat=0", "--", "serve", "--port", "80"])
        let shown = try h.waitForLog("args", contains: "hello: cmdline=heartbeat=0 -- serve --port 80")
        #expect(shown, "\((try? h.unitop(["logs", "args"]))?.stdout ?? "")")
    }

    @Test func unikraftExitValuesBecomeTheStatusOfRun() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        // isa-debug-exit 41 is Unikraft's clean halt (exited 0), 42 its crash (crashed, so 1).
        for (code, status, summary) in [(41, Int32(0), "exited with code 0"), (42, Int32(1), "crashed"), (7, Int32(7), "exited with code 7")] {
            let name = "uk\(code)"
            let r = try h.unitop(["run", Fixtures.path("exit"), "--name", name, "--append", "code=\(code)", "--accel", "tcg"], timeout: 120)
            #expect(r.status == status, "code=\(code): \(r.stderr)")
            #expect(r.stderr.contains(summary), "code=\(code): \(r.stderr)")
        }
    }

    @Test func imagesShowKindFormatAndDiskChecks() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let dir = h.home.root + "/images"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var sector = [UInt8](repeating: 0, count: 512)
        sector[510] = 0x55; sector[511] = 0xAA
        try Data(sector + [UInt8](repeating: 0, count: 512)).write(to: URL(fileURLWithPath: dir + "/boot.img"))
        try FileManager.default.copyItem(atPath: Fixtures.path("hello"), toPath: dir + "/hello.elf")
        let r = try h.unitop(["images", "--json", "--dir", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let disk = try #require(array.first { $0["name"] as? String == "boot" }, "\(r.stdout)")
        #expect(disk["format"] as? String == "raw-disk")
        #expect(disk["bootable"] as? Bool == true)
        #expect((disk["diskCheck"] as? String)?.contains("boot signature") == true)
        #expect(disk["unikraft"] as? Bool == false)
        let hello = try #require(array.first { $0["name"] as? String == "hello" })
        #expect(hello["diskCheck"] is NSNull && hello["unikraft"] as? Bool == false)
        let table = try h.unitop(["images", "--dir", dir])
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NAME") == true && lines.first?.contains("KIND") == true)
        #expect(lines.contains { $0.hasPrefix("boot ") && $0.contains(" disk ") && $0.contains("raw-disk") && $0.contains("yes") }, "\(table.stdout)")
        #expect(lines.contains { $0.hasPrefix("hello ") && $0.contains(" kernel ") && $0.contains("multiboot") }, "\(table.stdout)")
    }
}
