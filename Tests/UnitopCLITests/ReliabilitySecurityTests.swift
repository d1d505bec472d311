import Foundation
import Models
import Testing
import UnitopTesting

/// Permissions of what unitop creates, refusal of directories others control, name validation
/// and `--readonly`, through the real binary.
@Suite(.serialized) struct ReliabilitySecurityTests {
    @Test func directoriesAre0700AndSocketsAndLogs0600() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        // A state directory unitop creates itself.
        let state = h.home.root + "/fresh/state"
        try h.start("hello", name: "p1", extra: ["--state-dir", state])
        #expect(try Wait.blockingUntil(timeout: 30) { try h.unitop(["logs", "p1", "--state-dir", state]).stdout.contains("heartbeat 1") })
        let runtime = UnitopPaths.resolve(environment: h.home.environment, stateDirectory: state).runtimeDirectory
        let dir = state + "/instances/p1"
        for d in [state, state + "/instances", dir, runtime] {
            #expect(permissions(d) == 0o700, "\(d): \(String(permissions(d) ?? -1, radix: 8))")
        }
        for f in ["console.log", "monitor.log", "qemu.stderr", "spec.json", "status.json", "monitor.pid", "qemu.pid"] {
            #expect(permissions(dir + "/" + f) == 0o600, "\(f): \(String(permissions(dir + "/" + f) ?? -1, radix: 8))")
        }
        #expect(permissions(state + "/unitop.log") == 0o600)
        for s in ["p1.ctl", "p1.con", "p1.qmp"] {
            let mode = permissions(runtime + "/" + s)
            #expect(mode.map { $0 & 0o077 == 0 } ?? false, "\(s): \(String(mode ?? -1, radix: 8))")
        }
        #expect(try h.unitop(["rm", "--force", "p1", "--state-dir", state], timeout: 60).status == 0)
    }

    @Test func directoriesOthersControlAreRefusedWithAClearMessage() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let run = ["run", Fixtures.path("idle"), "--name", "s1", "--accel", "tcg", "--detach"]

        // A runtime directory anyone can write (e.g. pre-created in /tmp by another user).
        let runtime = h.home.runtimeDirectory
        #expect(chmod(runtime, 0o777) == 0)
        let open = try h.unitop(run)
        #expect(open.status == 1 && open.stderrLines.count == 1, "\(open.stderr)")
        #expect(open.stderr.contains(runtime) && open.stderr.contains("lets others write"), "\(open.stderr)")
        #expect(chmod(runtime, 0o700) == 0)

        // A state directory owned by another user.
        let nobody: uid_t = 65534
        #expect(chown(h.home.stateDirectory, nobody, nobody) == 0)
        for args in [run, ["ps"], ["logs", "s1"]] {
            let r = try h.unitop(args)
            #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains("owned by uid 65534"), "\(args): \(r.stderr)")
        }
        #expect(chown(h.home.stateDirectory, getuid(), getgid()) == 0)

        // A runtime directory that is another user's symbolic link.
        let elsewhere = h.home.root + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let link = h.home.root + "/rt"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere)
        #expect(lchown(link, nobody, nobody) == 0)
        var env = h.home.environment
        env["UNITOP_RUNTIME_DIR"] = link
        let linked = try Run.command([Fixtures.unitopBinary] + run, environment: env)
        #expect(linked.status == 1 && linked.stderr.contains("symbolic link owned by uid 65534"), "\(linked.stderr)")

        #expect(try h.instances().isEmpty, "nothing was started")
        #expect(h.leftoverProcesses().isEmpty)
    }

    @Test func namesAreValidatedBeforeAnythingTouchesAPath() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let bad = ["../escape", "a/b", "..", ".hidden", "", "x\u{1b}]0;t\u{07}", String(repeating: "n", count: 300), "sp ace"]
        for name in bad {
            let run = try h.unitop(["run", Fixtures.path("idle"), "--name", name, "--accel", "tcg", "--detach"])
            #expect(run.status == 1 || run.status == 2, "run --name \(name.debugDescription): \(run.status)")
            #expect(!run.stderr.contains("\u{1b}"), "the error line never echoes an escape")
            // (inspect takes an image path too, so it is not in this list.)
            for cmd in ["logs", "stop", "rm", "console"] {
                let r = try h.unitop([cmd, name], timeout: 30)
                #expect(r.status == 1 || r.status == 2, "\(cmd) \(name.debugDescription): \(r.status) \(r.stderr)")
                #expect(!r.stderr.contains("\u{1b}"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: h.home.stateDirectory + "/escape"))
        #expect(!FileManager.default.fileExists(atPath: h.home.root + "/escape"))
        #expect(try h.instances().isEmpty)
    }

    @Test func readonlyTUIRefusesEveryActionKey() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "rt1")
        #expect(try h.waitForLog("rt1", contains: "heartbeat 1"))
        var env = h.home.environment.filter { ["UNITOP_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "UNITOP_RUNTIME_DIR", "PATH", "HOME"].contains($0.key) }
        env["TERM"] = "xterm-256color"
        env["LANG"] = "C.UTF-8"
        let tmux = try Tmux(width: 120, height: 40, command: [Fixtures.unitopBinary, "--readonly"], environment: env)
        defer { tmux.kill() }
        #expect(tmux.waitFor("rt1", timeout: 30), "\((try? tmux.screen()) ?? "")")
        #expect(tmux.waitFor("[read-only]", timeout: 10), "the header says read-only")
        for (key, action) in [("S", "stop"), ("K", "kill"), ("p", "pause"), ("r", "restart"), ("d", "remove"), ("a", "attach")] {
            try tmux.sendKeys(key)
            #expect(tmux.waitFor("read-only mode: '\(action)' is disabled", timeout: 10), "\(key): \((try? tmux.screen()) ?? "")")
            try tmux.sendKeys("y")  // would confirm a dialog, had one opened
        }
        try tmux.sendText("typed")
        try tmux.sendKeys("Enter")  // opens the full-screen console (read-only view)
        let tuiPid = tmux.pid
        // q leaves the console view, then quits.
        var quit = false
        for _ in 0..<3 where !quit {
            try tmux.sendKeys("q")
            quit = Wait.blockingUntil(timeout: 20) { processHasExited(tuiPid) }
        }
        #expect(quit, "the TUI quits: \(quit ? "" : processDiagnosis(tuiPid))")
        let after = try #require(try h.instance("rt1"))
        #expect(after.state == .running, "nothing changed: \(after.state)")
        #expect(!(try h.unitop(["logs", "rt1"]).stdout.contains("you typed")), "no input reached the guest")
    }

    @Test func readonlyRefusesEveryAction() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "ro1")
        #expect(try h.waitFor("ro1") { $0.state == .running }?.state == .running)
        let actions: [[String]] = [
            ["run", Fixtures.path("idle"), "--name", "ro2", "--accel", "tcg", "--detach"],
            ["stop", "ro1"], ["kill", "ro1"], ["pause", "ro1"], ["resume", "ro1"], ["restart", "ro1"],
            ["rm", "ro1"], ["rm", "--force", "ro1"], ["console", "ro1"],
        ]
        for action in actions {
            for args in [["--readonly"] + action, action + ["--readonly"]] {
                let r = try h.unitop(args, stdin: "typed\r", timeout: 30)
                #expect(r.status == 1, "\(args): \(r.status)")
                #expect(r.stderrLines.count == 1 && r.stderr.contains("read-only"), "\(args): \(r.stderr)")
            }
        }
        #expect(try h.instance("ro1")?.state == .running, "nothing changed")
        #expect(try h.instance("ro2") == nil)
        #expect(!(try h.unitop(["logs", "ro1"]).stdout.contains("you typed")), "no input reached the guest")
        for args in [["ps", "--readonly"], ["logs", "ro1", "--readonly"], ["inspect", "ro1", "--readonly"], ["images", "--readonly"]] {
            #expect(try h.unitop(args).status == 0, "\(args) is allowed read-only")
        }
    }
}
