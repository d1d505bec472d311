import Foundation
import Models
import Testing
import UnitopTesting

/// Nothing lost under churning viewers, and load: many instances started at once from two
/// processes, and start/stop cycles that must leave nothing behind. Sizes: see ``Stress``.
@Suite(.serialized) struct ReliabilityLoadTests {
    @Test func floodSurvivesViewersStartedAndKilledOverAndOver() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let total = Stress.floodBytes
        try h.start("flood", name: "n1", extra: ["--append", "bytes=\(total)"])
        // Two viewers that stay: raw and sanitized followers from the first byte.
        let rawFollower = try BackgroundUnitop(["logs", "--follow", "--raw", "n1"], harness: h)
        let cleanFollower = try BackgroundUnitop(["logs", "--follow", "n1"], harness: h)
        defer { rawFollower.stop(); cleanFollower.stop() }

        var followersKilled = 0, consolesDetached = 0
        let deadline = Date().addingTimeInterval(Stress.floodSeconds)
        while try h.instance("n1")?.state.isFinished == false, Date() < deadline {
            let churn = try BackgroundUnitop(["logs", "--follow", "--raw", "n1"], harness: h)
            _ = Wait.blockingUntil(timeout: 10) { !churn.output.isEmpty }
            kill(churn.process.processIdentifier, SIGKILL)
            churn.process.waitUntilExit()
            followersKilled += 1
            let console = try h.unitop(["console", "n1"], stdin: "\u{1d}", timeout: 30)
            if console.status == 0 && console.stderr.contains("detached") { consolesDetached += 1 }
        }
        #expect(followersKilled >= 2, "viewers churned while the flood ran: \(followersKilled)")
        #expect(try h.instance("n1")?.state == .exited)

        #expect(Wait.blockingUntil(timeout: Stress.floodSeconds) { !rawFollower.process.isRunning && !cleanFollower.process.isRunning },
                "followers end with the guest")
        let followerProblem = floodProblem(Array(rawFollower.output.utf8), expectedBytes: total)
        #expect(followerProblem == nil, "raw follower")
        let raw = try h.unitop(["logs", "n1", "--raw"], timeout: 60)
        let logProblem = floodProblem(raw.stdoutBytes, expectedBytes: total)
        #expect(logProblem == nil, "console log")
        let lastLine = total / 80 - 1
        let logs = try h.unitop(["logs", "n1"], timeout: 60)
        let logLines = try #require(floodLineNumbers(logs.stdoutBytes))
        let logsWhole = logLines == Array(0...lastLine)
        #expect(logsWhole, "sanitized logs: every line once (\(logLines.count) lines)")
        let followerLines = try #require(floodLineNumbers(Array(cleanFollower.output.utf8)))
        let followerWhole = followerLines == Array(0...lastLine)
        #expect(followerWhole, "sanitized follower: every line once (\(followerLines.count) lines)")
        print("reliability: flood \(total) bytes; \(followersKilled) followers killed, \(consolesDetached) consoles attached/detached")
    }

    @Test func floodSurvivesAStalledMonitor() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let total = 2_000_000
        try h.start("flood", name: "st1", extra: ["--append", "bytes=\(total)"])
        #expect(try h.waitForLog("st1", contains: "flood 00001000"), "the flood is under way")
        // The only reader of QEMU's serial socket stops: QEMU back-pressures the guest's UART
        // (THRE stays clear) and nothing may be lost once the monitor reads again.
        let monitor = try #require(h.recordedPid("st1", "monitor.pid"))
        #expect(kill(monitor, SIGSTOP) == 0)
        defer { kill(monitor, SIGCONT) }
        let stalledAt = try h.unitop(["logs", "st1", "--raw"]).stdoutBytes.count
        Thread.sleep(forTimeInterval: 4)  // the stall itself is what is being tested
        let stillAt = try h.unitop(["logs", "st1", "--raw"]).stdoutBytes.count
        #expect(stillAt == stalledAt, "nothing is logged while the monitor is stopped")
        #expect(kill(monitor, SIGCONT) == 0)
        let done = try h.waitFor("st1", timeout: Stress.floodSeconds) { $0.state.isFinished }
        #expect(done?.state == .exited)
        let raw = try h.unitop(["logs", "st1", "--raw"], timeout: 60)
        let problem = floodProblem(raw.stdoutBytes, expectedBytes: total)
        #expect(problem == nil, "after a 4 s stall: \(problem ?? "")")
    }

    @Test func manyInstancesStartedAtOnceFromTwoProcessesHaveUniqueNamesAndStopCleanly() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let n = Stress.concurrentInstances
        let names = (0..<n).map { String(format: "L%02d", $0) }
        // Two starters race for every name: exactly one wins each.
        var starters: [(String, Process, Pipe)] = []
        for name in names {
            for _ in 0..<2 {
                let err = Pipe()
                let p = Process()
                p.executableURL = URL(fileURLWithPath: Fixtures.unitopBinary)
                p.arguments = ["run", Fixtures.path("idle"), "--name", name, "--accel", "tcg", "--detach"]
                p.environment = h.home.environment
                p.standardOutput = FileHandle.nullDevice
                p.standardError = err
                try p.run()
                starters.append((name, p, err))
            }
        }
        var winners: [String: Int] = [:]
        for (name, p, err) in starters {
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if p.terminationStatus == 0 {
                winners[name, default: 0] += 1
            } else {
                #expect(stderr.contains("already exists"), "\(name): \(stderr)")
            }
        }
        #expect(names.allSatisfy { winners[$0] == 1 }, "one winner per name: \(winners)")
        let up = Wait.blockingUntil(timeout: 120, interval: 0.5) { (try? h.instances().filter { $0.state == .running }.count) == n }
        let all = try h.instances()
        #expect(up, "\(all.filter { $0.state == .running }.count) of \(n) running")
        #expect(Set(all.map(\.name)) == Set(names) && all.count == n)
        let pids = all.compactMap(\.pid)

        // Stop them all at once, from as many processes.
        let stoppers = try names.map { try h.spawn(["stop", $0, "--timeout", "1"]) }
        for p in stoppers { p.waitUntilExit() }
        #expect(stoppers.allSatisfy { $0.terminationStatus == 0 }, "\(stoppers.map(\.terminationStatus))")
        #expect(try h.instances().allSatisfy { $0.state == .stopped })
        #expect(Wait.blockingUntil(timeout: 15) { pids.allSatisfy { !processIsAlive($0) } }, "no QEMU left")
        #expect(Wait.blockingUntil(timeout: 15) { h.leftoverProcesses().isEmpty }, "no monitor left: \(h.leftoverProcesses())")
    }

    @Test func startStopCyclesLeaveNoProcessSocketOrDirectory() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let cycles = Stress.cycles
        for i in 0..<cycles {
            let name = "c\(i % 3)"
            try h.start("idle", name: name)
            #expect(try h.waitFor(name) { $0.state == .running }?.state == .running, "cycle \(i)")
            if i % 4 == 3 {
                #expect(try h.unitop(["rm", "--force", name], timeout: 60).status == 0, "cycle \(i): rm --force")
            } else {
                let end = try h.unitop([i % 2 == 0 ? "kill" : "stop", name] + (i % 2 == 0 ? [] : ["--timeout", "0"]), timeout: 60)
                #expect(end.status == 0, "cycle \(i): \(end.stderr)")
                #expect(try h.unitop(["rm", name]).status == 0, "cycle \(i): rm")
            }
        }
        #expect(try h.instances().isEmpty)
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: h.home.stateDirectory + "/instances")) ?? []
        #expect(dirs.isEmpty, "state directories left: \(dirs)")
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: h.runtimeDirectory)) ?? []
        #expect(sockets.isEmpty, "sockets left: \(sockets)")
        #expect(Wait.blockingUntil(timeout: 15) { h.leftoverProcesses().isEmpty }, "processes left: \(h.leftoverProcesses())")
        print("reliability: \(cycles) start/stop cycles")
    }
}
