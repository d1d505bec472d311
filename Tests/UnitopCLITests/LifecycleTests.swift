import Foundation
import Models
import Testing
import UnitopTesting

/// Real QEMU (TCG) guests driven through the real binary: run, ps, logs, console, the
/// lifecycle actions and how guests end.
@Suite(.serialized) struct LifecycleTests {
    @Test func helloRunsAndEveryActionChangesItsState() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let name = try h.start("hello", name: "h1")

        let running = try #require(try h.waitFor(name) { $0.state == .running && $0.bootMillis != nil })
        #expect(running.state == .running)
        #expect(running.pid != nil)
        #expect((running.bootMillis ?? -1) >= 0)
        #expect(running.backend == .qemu && running.host == "local")
        #expect(running.image.hasSuffix("hello.elf"))
        #expect(running.memoryMiB == 64 && running.cpus == 1)
        #expect(try h.waitForLog(name, contains: "unitop-fixture hello booted"))

        // ps --json has every contract field (nulls included); the table shows the row.
        let ps = try h.unitop(["ps", "--json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [[String: Any]])
        let object = try #require(objects.first)
        for key in ["name", "backend", "host", "image", "state", "pid", "memoryMiB", "cpus", "startedAt", "uptimeSeconds", "bootMillis", "exitCode", "exitReason"] {
            #expect(object.keys.contains(key), "ps --json lacks \(key)")
        }
        #expect(object["exitCode"] is NSNull)
        let table = try h.unitop(["ps"])
        #expect(table.stdout.hasPrefix("NAME") && table.stdout.contains("h1") && table.stdout.contains("running"))

        // The console forwards input (non-TTY path); 0x1d detaches and leaves it running.
        let console = try h.unitop(["console", name], stdin: "ping\r\u{1d}", timeout: 30)
        #expect(console.status == 0, "\(console.stderr)")
        #expect(console.stderr.contains("attached to h1"))
        #expect(try h.waitForLog(name, contains: "you typed: ping"))
        #expect(try h.instance(name)?.state == .running)

        // inspect an instance.
        let inspect = try h.unitop(["inspect", name])
        #expect(inspect.status == 0)
        let inspected = try JSONCoding.decoder().decode(Instance.self, from: Data(inspect.stdout.utf8))
        #expect(inspected.name == name && inspected.state == .running && inspected.accel == "tcg")

        // Global options work after and before the subcommand against a real instance.
        for args in [["ps", "--json", "--state-dir", h.home.stateDirectory], ["--state-dir", h.home.stateDirectory, "--backend", "qemu", "ps", "--json"]] {
            #expect(try h.unitop(args).stdout.contains("\"name\":\"h1\""), "\(args)")
        }

        // A duplicate name is refused and the original is untouched.
        let dup = try h.unitop(["run", Fixtures.path("hello"), "--name", name, "--accel", "tcg", "--detach"])
        #expect(dup.status == 1 && dup.stderrLines.count == 1 && dup.stderr.contains("already exists"), "\(dup.stderr)")
        #expect(try h.instance(name)?.state == .running)

        #expect(try h.unitop(["pause", name]).status == 0)
        #expect(try h.waitFor(name, timeout: 20) { $0.state == .paused }?.state == .paused)
        #expect(try h.unitop(["resume", name]).status == 0)
        #expect(try h.waitFor(name, timeout: 20) { $0.state == .running }?.state == .running)

        #expect(try h.unitop(["restart", name]).status == 0)
        #expect(try h.waitForLog(name, contains: "unitop-fixture hello booted", count: 2), "restart boots again")

        // rm without --force refuses a running instance.
        let rmRunning = try h.unitop(["rm", name])
        #expect(rmRunning.status == 1 && rmRunning.stderrLines.count == 1, "\(rmRunning.stderr)")

        let stop = try h.unitop(["stop", name, "--timeout", "3"], timeout: 60)
        #expect(stop.status == 0, "\(stop.stderr)")
        let stopped = try #require(try h.instance(name))
        #expect(stopped.state == .stopped)
        #expect(stopped.pid.map { kill($0, 0) != 0 } ?? true, "no process after stop")
        #expect(!(try h.unitop(["ps", "--json"]).stdout.contains("\"h1\"")), "ps hides finished instances")
        #expect(try h.unitop(["ps", "--all", "--json"]).stdout.contains("\"name\":\"h1\""))
        // logs of a finished instance still work.
        #expect(try h.unitop(["logs", name]).stdout.contains("heartbeat 1"))

        #expect(try h.unitop(["rm", name]).status == 0)
        #expect(try h.instance(name) == nil)
    }

    @Test func killStopsImmediatelyAndRmForceRemovesARunningInstance() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("idle", name: "k1")
        try h.start("hello", name: "k2")
        #expect(try h.waitFor("k1") { $0.state == .running }?.state == .running)
        let kill = try h.unitop(["kill", "k1"], timeout: 30)
        #expect(kill.status == 0, "\(kill.stderr)")
        let killed = try #require(try h.waitFor("k1", timeout: 20) { $0.state.isFinished })
        #expect(killed.state == .stopped)
        #expect(try h.waitFor("k2") { $0.state == .running }?.state == .running)
        #expect(try h.unitop(["rm", "--force", "k2"], timeout: 30).status == 0)
        #expect(try h.instance("k2") == nil)
        #expect(try h.unitop(["rm", "k1"]).status == 0)
        #expect(try h.instances().isEmpty)
    }

    @Test func exitCodeBecomesTheStatusOfRun() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        // Attached (no --detach): stdin is empty, the console follows until the guest ends.
        let r = try h.unitop(["run", Fixtures.path("exit"), "--name", "e3", "--append", "code=3", "--accel", "tcg"], timeout: 120)
        #expect(r.status == 3, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("unitop-fixture exit booted"))
        #expect(r.stderr.contains("exited with code 3"))
        let e3 = try #require(try h.instance("e3"))
        #expect(e3.state == .exited && e3.exitCode == 3)
        // console on a finished instance shows its history and returns.
        let console = try h.unitop(["console", "e3"], timeout: 30)
        #expect(console.status == 0, "\(console.stderr)")
        #expect(console.stdout.contains("exit: code=3"))
        #expect(console.stderr.contains("exited with code 3"))

        try h.start("exit", name: "e0", extra: ["--append", "code=0"])
        let e0 = try h.waitFor("e0") { $0.state.isFinished }
        #expect(e0?.state == .exited && e0?.exitCode == 0)
    }

    @Test func runAttachedDetachesOnCtrlBracketAndLeavesItRunning() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let r = try h.unitop(["run", Fixtures.path("hello"), "--name", "d1", "--accel", "tcg"], stdin: "\u{1d}", timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("attached to d1") && r.stderr.contains("unitop console d1"), "\(r.stderr)")
        #expect(try h.instance("d1")?.state == .running)
        // A default name is derived from the image name.
        let named = try h.unitop(["run", Fixtures.path("idle"), "--accel", "tcg", "--detach"])
        #expect(named.status == 0)
        let derived = named.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(derived.hasPrefix("idle-") && derived.count > "idle-".count, "\(derived)")
        #expect(try h.instance(derived) != nil)
    }

    @Test func panicShowsCrashed() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("panic", name: "p1")
        let p = try #require(try h.waitFor("p1") { $0.state.isFinished })
        #expect(p.state == .crashed)
        #expect(!(p.exitReason ?? "").isEmpty)
        let table = try h.unitop(["ps", "--all"])
        #expect(table.stdout.contains("crashed"))
    }

    @Test func killedHypervisorShowsCrashedWithAReason() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("idle", name: "s1")
        let running = try #require(try h.waitFor("s1") { $0.state == .running && $0.pid != nil })
        let pid = try #require(running.pid)
        #expect(kill(pid, SIGKILL) == 0)
        let crashed = try #require(try h.waitFor("s1", timeout: 30) { $0.state.isFinished })
        #expect(crashed.state == .crashed)
        #expect(!(crashed.exitReason ?? "").isEmpty)
    }

    @Test func floodIsLoggedByteExact() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let total = 2_000_000
        try h.start("flood", name: "f1", extra: ["--append", "bytes=\(total)"])
        let done = try h.waitFor("f1", timeout: 120) { $0.state.isFinished }
        #expect(done?.state == .exited)
        let r = try h.unitop(["logs", "f1", "--raw"], timeout: 60)
        #expect(r.status == 0)
        let bytes = r.stdoutBytes
        let marker = Array("FLOOD-END bytes=".utf8)
        let at = try #require(lastIndex(of: marker, in: bytes), "no FLOOD-END in \(bytes.count) bytes")
        let trailer = String(decoding: bytes[at...].prefix(64), as: UTF8.self)
        let fields = trailer.split(whereSeparator: { $0 == " " || $0.isNewline })
        #expect(fields.count >= 3)
        let n = try #require(Int(fields[1].dropFirst("bytes=".count)))
        let expected = try #require(UInt32(fields[2].dropFirst("fnv1a32=".count), radix: 16))
        #expect(n == total)
        try #require(at >= n)
        #expect(fnv1a32(bytes[(at - n)..<at]) == expected, "console log is not byte-exact")
        // logs piped into a reader that goes away ends quietly.
        let head = try Run.command(["/bin/bash", "-c", "'\(Fixtures.unitopBinary)' logs --raw f1 | head -c 100 >/dev/null; echo \"${PIPESTATUS[0]}\""], environment: h.home.environment)
        #expect(head.stdout == "0\n", "logs into a closed pipe: status \(head.stdout)")
        #expect(head.stderr.isEmpty, "\(head.stderr)")
    }

    @Test func logsAreSanitizedUnlessRaw() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        // The fixtures print only printable text, so hostile bytes are appended to the console log
        // of a finished instance (its path is part of the instance): logs serves them from there.
        let r = try h.unitop(["run", Fixtures.path("exit"), "--name", "a1", "--append", "code=0", "--accel", "tcg"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let log = try #require(try h.instance("a1")?.consoleLogPath)
        let attack: [UInt8] = Array("x\u{1b}]0;pwned\u{07}y\u{1b}[2J\u{1b}c\u{1b}]52;c;Zm9v\u{1b}\\\u{1b}[?1049h\u{1b}[31mred\u{1b}[0m".utf8) + [0xFF, 0x0A]
        let handle = try #require(FileHandle(forWritingAtPath: log))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(attack))
        try handle.close()
        let raw = try h.unitop(["logs", "a1", "--raw"])
        #expect(raw.stdoutBytes.suffix(attack.count) == ArraySlice(attack), "raw keeps the bytes")
        let clean = try h.unitop(["logs", "a1"])
        #expect(clean.status == 0)
        #expect(clean.stdout.contains("exit: code=0"))
        #expect(!clean.stdout.contains("\u{1b}]"), "OSC (title, clipboard) dropped")
        #expect(!clean.stdout.contains("\u{1b}[2J") && !clean.stdout.contains("\u{1b}c") && !clean.stdout.contains("\u{1b}[?1049h"))
        #expect(clean.stdout.contains("red") && clean.stdout.contains("\u{1b}["), "SGR color kept")
        #expect(clean.stdout.contains("\u{FFFD}"), "invalid UTF-8 shown as U+FFFD")
        #expect(onlySGR(clean.stdoutBytes), "only SGR escapes remain")
        // console of the finished instance goes through the same sanitizer.
        let console = try h.unitop(["console", "a1"], timeout: 30)
        #expect(console.status == 0 && console.stdout.contains("red") && onlySGR(console.stdoutBytes))

        // Colored flood through the sanitizer keeps only SGR.
        try h.start("flood", name: "c1", extra: ["--append", "bytes=100000 color=1"])
        #expect(try h.waitFor("c1", timeout: 60) { $0.state.isFinished }?.state == .exited)
        let colored = try h.unitop(["logs", "c1"])
        #expect(colored.stdoutBytes.contains(0x1B), "colors are kept")
        #expect(onlySGR(colored.stdoutBytes))
        #expect(colored.stdout.contains("FLOOD-END bytes=100000"))
    }

    @Test func aSecondProcessFindsAndFollowsAnInstance() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "r1")
        #expect(try h.waitForLog("r1", contains: "heartbeat 1"))
        // A follower started now sees the history from boot and then new heartbeats.
        let follower = try BackgroundUnitop(["logs", "--follow", "r1"], harness: h)
        defer { follower.stop() }
        #expect(Wait.blockingUntil(timeout: 30) { follower.output.contains("unitop-fixture hello booted") })
        let before = try h.unitop(["logs", "r1"]).stdout.components(separatedBy: "heartbeat ").count - 1
        #expect(Wait.blockingUntil(timeout: 30) { follower.output.components(separatedBy: "heartbeat ").count - 1 > before + 1 },
                "follow delivers live output")
        // Nothing doubled at the history/live seam: heartbeat numbers are strictly increasing.
        let numbers = Fixtures.heartbeats(in: follower.output)
        #expect(numbers == Array(numbers.sorted()) && Set(numbers).count == numbers.count, "\(numbers)")
        // The follower ends by itself when the instance ends.
        #expect(try h.unitop(["kill", "r1"], timeout: 30).status == 0)
        #expect(Wait.blockingUntil(timeout: 30) { !follower.process.isRunning }, "logs --follow ends with the guest")
    }
}

func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    var i = haystack.count - needle.count
    while i >= 0 {
        if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
        i -= 1
    }
    return nil
}

/// True when every ESC starts a CSI sequence of parameters ending in `m` (SGR).
func onlySGR(_ bytes: [UInt8]) -> Bool {
    var i = 0
    while i < bytes.count {
        if bytes[i] == 0x1B {
            guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "[") else { return false }
            var j = i + 2
            while j < bytes.count, (0x30...0x3F).contains(bytes[j]) { j += 1 }
            guard j < bytes.count, bytes[j] == UInt8(ascii: "m") else { return false }
            i = j + 1
        } else {
            if bytes[i] < 0x20 && ![0x0A, 0x0D, 0x09].contains(bytes[i]) { return false }
            i += 1
        }
    }
    return true
}
