import Foundation
import Models
import Testing
import UnitopTesting

/// Faults unitop must survive: viewers, QEMU and monitors killed or stopped from outside,
/// launches that cannot work, and a state directory edited into garbage. Real binary, real QEMU.
@Suite(.serialized) struct ReliabilityFaultTests {
    @Test func viewersKilledWithSIGKILLLeaveInstancesRunningWithTheirHistory() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "v1")
        try h.start("idle", name: "v2")
        #expect(try h.waitForLog("v1", contains: "heartbeat 1"))
        for round in 0..<3 {
            let follower = try BackgroundUnitop(["logs", "--follow", "v1"], harness: h)
            let console = try BackgroundUnitop(["console", "v1"], harness: h)
            let attached = Wait.blockingUntil(timeout: 30) {
                follower.output.contains("hello booted") && console.output.contains("heartbeat")
            }
            #expect(attached, "round \(round): viewers did not attach")
            for p in [follower.process, console.process] {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
        }
        // A new unitop finds both, still running, with the history from boot and new output.
        let all = try h.instances()
        #expect(Set(all.map(\.name)) == ["v1", "v2"])
        #expect(all.allSatisfy { $0.state == .running }, "\(all.map { "\($0.name)=\($0.state)" })")
        let before = try h.unitop(["logs", "v1"]).stdout
        #expect(before.contains("unitop-fixture hello booted") && before.contains("heartbeat 1"))
        let seen = before.components(separatedBy: "heartbeat ").count
        #expect(try h.waitForLog("v1", contains: "heartbeat ", count: seen + 1), "output keeps being logged")
        // Input still reaches the guest.
        let typed = try h.unitop(["console", "v1"], stdin: "still-here\r\u{1d}", timeout: 30)
        #expect(typed.status == 0, "console on a pipe: status \(typed.status), stderr: \(typed.stderr)")
        #expect(try h.waitForLog("v1", contains: "you typed: still-here"))
    }

    @Test func hypervisorOrMonitorKilledFromOutsideIsACrashAndLeavesNothing() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("idle", name: "q1")
        try h.start("idle", name: "m1")
        try h.start("hello", name: "o1")
        for n in ["q1", "m1", "o1"] { #expect(try h.waitFor(n) { $0.state == .running }?.state == .running) }
        let q1Monitor = try #require(h.recordedPid("q1", "monitor.pid"))
        let q1QEMU = try #require(h.recordedPid("q1", "qemu.pid"))
        let m1Monitor = try #require(h.recordedPid("m1", "monitor.pid"))
        let m1QEMU = try #require(h.recordedPid("m1", "qemu.pid"))

        #expect(kill(q1QEMU, SIGKILL) == 0)
        #expect(kill(m1Monitor, SIGKILL) == 0)
        let q1 = try #require(try h.waitFor("q1", timeout: 30) { $0.state.isFinished })
        #expect(q1.state == .crashed)
        #expect((q1.exitReason ?? "").contains("9") || (q1.exitReason ?? "").lowercased().contains("kill"),
                "reason names the signal: \(q1.exitReason ?? "nil")")
        let m1 = try #require(try h.waitFor("m1", timeout: 30) { $0.state.isFinished })
        #expect(m1.state == .crashed)
        #expect(m1.exitReason == "monitor died")
        #expect(Wait.blockingUntil(timeout: 15) { !processIsAlive(m1QEMU) && !processIsAlive(q1Monitor) },
                "QEMU of a dead monitor and the monitor of a dead QEMU are gone")
        #expect(try h.instance("o1")?.state == .running, "the bystander is unaffected")
        let table = try h.unitop(["ps", "--all"])
        #expect(table.status == 0 && table.stdout.contains("crashed"))
        // Sockets of the dead instances are gone.
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: h.runtimeDirectory)) ?? []
        #expect(!sockets.contains { $0.hasPrefix("q1.") || $0.hasPrefix("m1.") }, "\(sockets)")
    }

    @Test func stoppedHypervisorNeverHangsPsOrStop() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("idle", name: "z1")
        let running = try #require(try h.waitFor("z1") { $0.state == .running })
        let pid = try #require(running.pid)
        #expect(kill(pid, SIGSTOP) == 0)
        defer { kill(pid, SIGCONT) }

        var start = Date()
        let ps = try h.unitop(["ps", "--json"], timeout: 20)
        #expect(ps.status == 0 && Date().timeIntervalSince(start) < 10 * Wait.timeoutScale, "ps answers while QEMU is stopped")
        #expect(ps.stdout.contains("\"z1\""))
        let stopped = try #require(try h.instance("z1"))
        #expect(stopped.state == .running && (stopped.stateDetail ?? "").contains("stopped by a signal"),
                "ps says why it does not move: \(stopped.stateDetail ?? "nil")")
        start = Date()
        let pause = try h.unitop(["pause", "z1"], timeout: 90)
        let pauseSeconds = Date().timeIntervalSince(start)
        #expect(pauseSeconds < 60, "pause of a stopped QEMU took \(pauseSeconds)s")
        #expect(pause.stderrLines.count <= 1)

        start = Date()
        let stop = try h.unitop(["stop", "z1", "--timeout", "2"], timeout: 90)
        let stopSeconds = Date().timeIntervalSince(start)
        #expect(stopSeconds < 60, "stop of a stopped QEMU took \(stopSeconds)s")
        #expect(stop.status == 0, "stop escalates to SIGKILL, which a stopped process cannot ignore: \(stop.stderr)")
        let z1 = try #require(try h.waitFor("z1", timeout: 30) { $0.state.isFinished })
        #expect(z1.state == .stopped || z1.state == .crashed, "\(z1.state) \(z1.exitReason ?? "")")
        #expect(!(z1.exitReason ?? "").isEmpty)
        #expect(Wait.blockingUntil(timeout: 10) { !processIsAlive(pid) }, "no QEMU left")
    }

    @Test func launchesThatCannotWorkFailWithOneClearLineAndLeaveNothing() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        // QEMU binary missing.
        try h.writeConfig("[qemu]\nbinary = \"/nonexistent/qemu-system-x86_64\"\n")
        let missing = try h.unitop(["run", Fixtures.path("hello"), "--name", "b1", "--accel", "tcg", "--detach"])
        #expect(missing.status == 1)
        #expect(missing.stderrLines.count == 1 && missing.stderr.contains("/nonexistent/qemu-system-x86_64"), "\(missing.stderr)")
        // A CPU model QEMU rejects: QEMU's own message.
        try h.writeConfig("[qemu]\ncpu = \"no-such-cpu-model\"\n")
        let cpu = try h.unitop(["run", Fixtures.path("hello"), "--name", "b2", "--accel", "tcg", "--detach"])
        #expect(cpu.status == 1)
        #expect(cpu.stderrLines.count == 1 && cpu.stderr.contains("no-such-cpu-model"), "\(cpu.stderr)")
        // An accelerator/CPU combination QEMU rejects: `-cpu host` under this host's paravirtual
        // KVM makes QEMU fail an assertion (without /dev/kvm QEMU says it cannot open it).
        try h.writeConfig("[qemu]\ncpu = \"host\"\n")
        let kvm = try h.unitop(["run", Fixtures.path("hello"), "--name", "b3", "--accel", "kvm", "--detach"])
        #expect(kvm.status == 1)
        #expect(kvm.stderrLines.count == 1 && kvm.stderr.contains("cannot start 'b3': ") && kvm.stderr.contains("qemu-system-x86_64"),
                "QEMU's own words: \(kvm.stderr)")

        #expect(try h.instances().isEmpty, "a failed start leaves no instance")
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: h.home.stateDirectory + "/instances")) ?? []
        #expect(dirs.isEmpty, "\(dirs)")
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: h.runtimeDirectory)) ?? []
        #expect(sockets.isEmpty, "\(sockets)")
        #expect(h.leftoverProcesses().isEmpty)
    }

    @Test func stateDirectoryEditedIntoGarbageShowsBrokenInstancesAndNothingCrashes() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "g-ok")
        try h.start("idle", name: "g-spec")
        try h.start("idle", name: "g-status")
        try h.start("exit", name: "g-exit", extra: ["--append", "code=2"])
        for n in ["g-ok", "g-spec", "g-status"] { #expect(try h.waitFor(n) { $0.state == .running }?.state == .running) }
        #expect(try h.waitFor("g-exit") { $0.state.isFinished }?.state == .exited)

        let garbage = Data([0x7B, 0x22, 0xFF, 0x00, 0x0A, 0x5B, 0x5B])  // {"<ff><nul>\n[[
        try garbage.write(to: URL(fileURLWithPath: h.instanceDirectory("g-spec") + "/spec.json"))
        try garbage.write(to: URL(fileURLWithPath: h.instanceDirectory("g-status") + "/status.json"))
        try garbage.write(to: URL(fileURLWithPath: h.instanceDirectory("g-exit") + "/exit.json"))
        try garbage.write(to: URL(fileURLWithPath: h.instanceDirectory("g-exit") + "/status.json"))
        try FileManager.default.removeItem(atPath: h.instanceDirectory("g-ok") + "/console.log")
        // An instance directory with nothing in it (old enough not to be mid-creation), and a stray file.
        let empty = h.instanceDirectory("g-empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: empty)
        try Data("x".utf8).write(to: URL(fileURLWithPath: h.instanceDirectory("g-file")))

        let ps = try h.unitop(["ps", "--all", "--json"])
        #expect(ps.status == 0, "\(ps.stderr)")
        let all = try JSONCoding.decoder().decode([Instance].self, from: Data(ps.stdout.utf8))
        let byName = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["g-ok"]?.state == .running, "a healthy instance is unaffected")
        for n in ["g-spec", "g-empty"] {
            #expect(byName[n]?.state == .crashed, "\(n) is shown as broken: \(String(describing: byName[n]))")
            #expect((byName[n]?.exitReason ?? "").contains("spec.json"), "\(n): \(byName[n]?.exitReason ?? "nil")")
        }
        #expect(byName["g-status"] != nil, "an unreadable status still lists the instance")
        #expect(byName["g-exit"]?.state.isFinished == true, "\(String(describing: byName["g-exit"]))")
        #expect(byName["g-file"] == nil)
        #expect(try h.unitop(["ps", "--all"]).status == 0)

        // Every command on a broken instance ends with a status and at most one line; none crashes.
        let okLogs = try h.unitop(["logs", "g-ok"])
        #expect((okLogs.status == 0 || okLogs.status == 1) && okLogs.stderrLines.count <= 1, "logs without console.log: \(okLogs.stderr)")
        for n in ["g-spec", "g-status", "g-exit", "g-empty"] {
            for args in [["logs", n], ["inspect", n], ["pause", n], ["stop", n, "--timeout", "1"]] {
                let r = try h.unitop(args, timeout: 60)
                #expect(r.status == 0 || r.status == 1, "\(args): status \(r.status) \(r.stderr)")
                #expect(r.stderrLines.count <= 1, "\(args): \(r.stderr)")
            }
        }
        for n in ["g-spec", "g-status", "g-exit", "g-empty"] {
            let rm = try h.unitop(["rm", "--force", n], timeout: 60)
            #expect(rm.status == 0, "rm --force \(n): \(rm.stderr)")
        }
        #expect(Set(try h.instances().map(\.name)) == ["g-ok"])
        #expect(Wait.blockingUntil(timeout: 15) { h.leftoverProcesses().count <= 2 }, "only g-ok's monitor and QEMU remain")
    }
}
