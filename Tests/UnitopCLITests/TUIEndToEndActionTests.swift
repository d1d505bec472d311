import Foundation
import Models
import Testing
import UnitopTesting

extension TUIEndToEnd {
    /// Actions from the UI: start from the images view (with a published port), stop with
    /// confirmation, pause/resume, read-only mode, quitting without stopping guests and reopening
    /// with the console history.
    @Suite struct ActionTests {
        @Test func startFromTheImagesView() throws {
            let s = try TUISession(); defer { s.close() }
            try s.open()
            #expect(s.waitFor("no instances"), "\(s.screen)")
            try s.openStartForm("hello")
            #expect(s.waitFor { $0.contains { $0.contains("Name") && $0.contains("hello_") } }, "derived name in the form: \(s.screen)")
            try s.tmux?.sendKeys("C-u")
            try s.tmux?.sendText("web-1")
            #expect(s.waitFor("web-1_"), "\(s.screen)")
            // A published port too: Name, Memory, CPUs, Append, Machine, Network, then Ports.
            let port = try #require(FreePort.loopbackTCP())
            for _ in 0..<6 { try s.tmux?.sendKeys("Tab") }
            #expect(s.waitFor { $0.contains { $0.contains("Ports") && $0.contains("_") } }, "ports focused: \(s.screen)")
            try s.tmux?.sendText("\(port):80")
            #expect(s.waitFor("\(port):80_"), "\(s.screen)")
            try s.tmux?.sendKeys("Enter")
            #expect(s.waitFor { !$0.joined().contains("Start hello") }, "form closed: \(s.screen)")
            try s.tmux?.sendKeys("1")
            #expect(s.waitForRow("web-1", containing: "running"), "\(s.screen)")
            #expect(s.waitForRow("web-1", containing: "\(port)→80"), "PORTS: \(s.screen)")
            let ps = try s.running()
            let web = try #require(ps.first { $0.name == "web-1" }, "web-1 in ps --json: \(ps.map(\.name))")
            #expect(web.state == .running)
            #expect(web.image.hasSuffix("hello.elf"))
            #expect(web.ports == [PortMapping(hostPort: port, guestPort: 80)] && web.network == .user)
            #expect(web.accel == "tcg", "accel from the config")
        }

        @Test func stopAsksThenGoesStoppingToStopped() throws {
            let s = try TUISession(stopTimeout: 2); defer { s.close() }
            try s.start("hello", name: "s1")
            try s.open()
            #expect(s.waitForRow("s1", containing: "running"), "\(s.screen)")
            try s.tmux?.sendKeys("S")
            #expect(s.waitFor("Stop s1?"), "question: \(s.screen)")
            #expect(s.waitFor("forced after 2s"), "stop timeout from the config: \(s.screen)")
            // n cancels: nothing happens.
            try s.tmux?.sendKeys("n")
            #expect(s.waitFor("cancelled"), "\(s.screen)")
            #expect(try s.h.instance("s1")?.state == .running)
            try s.tmux?.sendKeys("S")
            #expect(s.waitFor("Stop s1?"), "\(s.screen)")
            try s.tmux?.sendKeys("y")
            // hello ignores ACPI: it stays stopping until the 2 s timeout escalates.
            #expect(s.waitForRow("s1", containing: "stopping", timeout: TUISession.quick), "stopping: \(s.screen)")
            #expect(s.waitForRow("s1", containing: "stopped"), "stopped: \(s.screen)")
            // The escalation is the reason, said once.
            let row = TUISession.row("s1", in: try s.capture()) ?? ""
            #expect(row.contains("stopped (quit") && !row.contains("stopped: stopped"), "\(row)")
            let final = try #require(try s.h.instance("s1"))
            #expect(final.state == .stopped)
            #expect(try s.running().allSatisfy { $0.name != "s1" })
        }

        @Test func pauseThenResume() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("hello", name: "p1")
            try s.open()
            #expect(s.waitForRow("p1", containing: "running"), "\(s.screen)")
            try s.tmux?.sendKeys("p")
            #expect(s.waitForRow("p1", containing: "paused"), "\(s.screen)")
            #expect(try s.h.instance("p1")?.state == .paused)
            try s.tmux?.sendKeys("p")
            #expect(s.waitForRow("p1", containing: "running"), "\(s.screen)")
            #expect(try s.h.instance("p1")?.state == .running)
        }

        @Test func quitLeavesInstancesRunningAndReopenShowsHistory() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("hello", name: "q1")
            try s.start("idle", name: "q2", extra: ["--memory", "32M"])
            let t1 = try s.open(underShell: true)
            #expect(s.waitForRow("q1", containing: "running"), "\(s.screen)")
            #expect(s.waitForRow("q2", containing: "running"), "\(s.screen)")
            try t1.sendKeys("q")
            #expect(s.waitFor("EXITED 0"), "q quits with status 0: \(s.screen)")
            let modes = try t1.modes()
            #expect(!modes.alternateScreen && modes.cursorVisible && !modes.mouseAny && !modes.keypad, "terminal restored: \(modes)")
            let ps = try s.running()
            #expect(Set(ps.filter { $0.state == .running }.map(\.name)) == ["q1", "q2"], "still running: \(ps.map { ($0.name, $0.state) })")
            // A new UI finds both again, with the console history from boot.
            try s.open()
            #expect(s.waitForRow("q1", containing: "running"), "\(s.screen)")
            #expect(s.waitForRow("q2", containing: "running"), "\(s.screen)")
            try s.select("q1")
            try s.tmux?.sendKeys("Enter")
            #expect(s.waitFor("Esc back"), "\(s.screen)")
            try s.tmux?.sendKeys("g")
            #expect(s.waitFor("unitop-fixture hello booted"), "banner line from boot: \(s.screen)")
            try s.tmux?.sendKeys("Escape")
            try s.select("q2")
            #expect(s.waitFor("idle: halting"), "idle's history in the pane: \(s.screen)")
        }

        @Test func readonlyHidesActionKeysAndRefusesStop() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("hello", name: "r1")
            try s.open(arguments: ["--readonly"])
            #expect(s.waitForRow("r1", containing: "running"), "\(s.screen)")
            let lines = try s.capture()
            let bar = try #require(lines.last)
            #expect(lines.first?.contains("[read-only]") == true, "header: \(lines.first ?? "")")
            #expect(bar.contains("console") && bar.contains("details") && bar.contains("quit"), "status bar: \(bar)")
            for hidden in ["attach", "start", "stop", "kill", "pause", "restart", "remove"] {
                #expect(!bar.contains(hidden), "\(hidden) hidden in read-only mode: \(bar)")
            }
            try s.tmux?.sendKeys("S")
            #expect(s.waitFor { $0.last?.contains("read-only") == true }, "refusal message: \(s.screen)")
            #expect(!(try s.tmux?.screen() ?? "").contains("Stop r1?"), "no confirmation in read-only mode")
            try s.tmux?.sendKeys("p")
            #expect(try s.h.instance("r1")?.state == .running, "nothing changed")
        }
    }
}
