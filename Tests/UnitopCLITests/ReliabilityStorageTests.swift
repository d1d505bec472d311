import Foundation
import Models
import Testing
import UnitopTesting

/// Storage faults: the state directory unusable, full or read-only, and the console log cap
/// with rotation. The tmpfs tests mount a 2 MiB tmpfs over the state directory (root only) and
/// unmount it in `defer`.
@Suite(.serialized) struct ReliabilityStorageTests {
    @Test func aFileWhereTheStateDirectoryShouldBeIsAClearError() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let file = h.home.root + "/not-a-dir"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for args in [["run", Fixtures.path("hello"), "--name", "f1", "--accel", "tcg", "--detach"], ["ps"]] {
            let r = try h.unitop(args + ["--state-dir", file])
            #expect(r.status == 1, "\(args): \(r.status)")
            #expect(r.stderrLines.count == 1 && r.stderr.contains(file), "\(args): \(r.stderr)")
        }
        #expect(h.leftoverProcesses().isEmpty)
    }

    @Test func fullOrReadOnlyStateDirectoryFailsNewStartsAndLeavesRunningInstancesAlone() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness()
        let mountPoint = h.home.stateDirectory
        let mount = try Run.command(["/bin/mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mountPoint])
        try #require(mount.status == 0, "mounting a tmpfs is not permitted here: \(mount.stderr)")
        defer {
            h.cleanup()  // removes the instances, then the home (the mount point stays)
            _ = try? Run.command(["/bin/umount", "-l", mountPoint])
            h.home.remove()
        }
        try h.start("hello", name: "d1")
        #expect(try h.waitForLog("d1", contains: "heartbeat 1"))

        // Disk full: fill the tmpfs.
        let filler = mountPoint + "/filler"
        _ = try Run.command(["/bin/dd", "if=/dev/zero", "of=" + filler, "bs=64k"], timeout: 30)
        let full = try h.unitop(["run", Fixtures.path("idle"), "--name", "d2", "--accel", "tcg", "--detach"], timeout: 60)
        #expect(full.status == 1, "a start on a full disk fails: \(full.stdout) \(full.stderr)")
        #expect(full.stderrLines.count == 1 && full.stderr.lowercased().contains("space"), "\(full.stderr)")
        #expect(try h.instance("d1")?.state == .running, "the running instance is unaffected")
        #expect(try h.instance("d2") == nil, "nothing half-created is listed")
        #expect(try h.unitop(["logs", "d1"]).stdout.contains("heartbeat 1"))
        // Space back: output is logged again.
        try FileManager.default.removeItem(atPath: filler)
        let seen = try h.unitop(["logs", "d1"]).stdout.components(separatedBy: "heartbeat ").count
        #expect(try h.waitForLog("d1", contains: "heartbeat ", count: seen + 1), "logging resumes after the disk had room again")

        // Read-only: a second, read-only bind mount of the same state (the running instance keeps
        // writing through the first one; a mount with writers cannot be made read-only).
        let view = h.home.root + "/ro-view"
        try FileManager.default.createDirectory(atPath: view, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try #require(try Run.command(["/bin/mount", "--bind", mountPoint, view]).status == 0)
        defer { _ = try? Run.command(["/bin/umount", "-l", view]) }
        let ro = try Run.command(["/bin/mount", "-o", "remount,bind,ro", view])
        try #require(ro.status == 0, "remount read-only: \(ro.stderr)")
        let readOnly = try h.unitop(["run", Fixtures.path("idle"), "--name", "d3", "--accel", "tcg", "--detach", "--state-dir", view], timeout: 60)
        #expect(readOnly.status == 1)
        #expect(readOnly.stderrLines.count == 1 && readOnly.stderr.lowercased().contains("read-only"), "\(readOnly.stderr)")
        let ps = try h.unitop(["ps", "--json", "--state-dir", view])
        #expect(ps.status == 0 && ps.stdout.contains("\"d1\""), "ps works on a read-only state directory: \(ps.stderr)")
        #expect(try h.unitop(["logs", "d1", "--state-dir", view]).stdout.contains("heartbeat 1"))
        #expect(try h.instance("d1")?.state == .running)
        #expect(try h.instance("d3") == nil)
        #expect(try h.unitop(["stop", "d1", "--timeout", "1"], timeout: 60).status == 0)
        #expect(try h.instance("d1")?.state == .stopped)
    }

    @Test func consoleLogIsCappedAndRotationLosesAndDoublesNothing() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let cap = 256 << 10
        try h.writeConfig("console_log_max = \"256K\"\n")
        let total = Stress.floodBytes
        // Attached run: follows from the first byte, across every rotation, until the guest ends.
        let attached = try BackgroundUnitop(
            ["run", Fixtures.path("flood"), "--name", "r1", "--accel", "tcg", "--append", "bytes=\(total)"], harness: h)
        defer { attached.stop() }
        #expect(Wait.blockingUntil(timeout: Stress.floodSeconds) { !attached.process.isRunning }, "the attached run ends with the guest")
        #expect(try h.instance("r1")?.state == .exited)

        let dir = h.instanceDirectory("r1")
        let sizes = ["console.log", "console.log.1"].map { (try? FileManager.default.attributesOfItem(atPath: dir + "/" + $0)[.size] as? Int) ?? 0 }
        #expect(sizes.reduce(0, +) <= cap, "console log files \(sizes) exceed the cap \(cap)")
        #expect(sizes[1] > 0, "the log rotated")

        // logs reads across the rotation: the retained tail is contiguous, whole lines, up to the end.
        let logs = try h.unitop(["logs", "r1", "--raw"])
        let logBytes = logs.stdoutBytes.count
        #expect(logBytes <= cap)
        let lastLine = total / 80 - 1
        let numbers = try #require(floodLineNumbers(logs.stdoutBytes))
        let endsAtLast = numbers.last == lastLine
        #expect(endsAtLast, "tail ends at line \(lastLine): \(numbers.last ?? -1)")
        let headGone = (numbers.first ?? 0) > 0
        #expect(headGone, "the head was rotated away")
        let contiguous = zip(numbers, numbers.dropFirst()).allSatisfy { $1 == $0 + 1 }
        #expect(contiguous, "retained lines are contiguous (no gap, no double)")
        #expect(numbers.count >= (cap / 2) / 80 - 1, "at least the current file's worth of lines: \(numbers.count)")
        let trailerInLogs = logs.stdout.contains("FLOOD-END bytes=\(total)")
        #expect(trailerInLogs)

        // The viewer that followed live saw every line exactly once.
        let live = try #require(floodLineNumbers(Array(attached.output.utf8)))
        let liveWhole = live == Array(0...lastLine)
        #expect(liveWhole, "live follower: \(live.count) lines, expected \(lastLine + 1)")
        let trailerLive = attached.output.contains("FLOOD-END bytes=\(total)")
        #expect(trailerLive)
    }
}
