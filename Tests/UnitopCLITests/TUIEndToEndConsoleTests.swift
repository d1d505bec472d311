import Foundation
import Models
import Testing
import UnitopTesting

extension TUIEndToEnd {
    /// The instance list, the console pane and the full-screen console, attach, search, details, help.
    @Suite struct ConsoleTests {
        @Test func listShowsRunningExitedWithCodeAndCrashed() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("hello", name: "h1")
            try s.start("exit", name: "e1", extra: ["--append", "code=3"])
            try s.start("panic", name: "p1")
            try s.open()
            #expect(s.waitForRow("h1", containing: "running"), "\(s.screen)")
            #expect(s.waitForRow("e1", containing: "exited 3"), "\(s.screen)")
            #expect(s.waitForRow("p1", containing: "crashed"), "\(s.screen)")
            let lines = try s.capture()
            #expect(TUISession.row("h1", in: lines)?.contains("hello") == true, "image column: \(lines)")
            #expect(lines.first?.contains("1 running") == true, "header counts: \(lines.first ?? "")")
            #expect(lines.first?.contains("1 exited") == true && lines.first?.contains("1 crashed") == true)
        }

        @Test func consoleFollowsTheHeartbeat() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("hello", name: "h1")
            try s.open()
            #expect(s.waitForRow("h1", containing: "running"), "\(s.screen)")
            // The pane below the list follows the selected instance.
            #expect(s.waitFor(timeout: TUISession.slow) { !TUISession.heartbeats(in: $0).isEmpty }, "\(s.screen)")
            try s.tmux?.sendKeys("Enter")
            #expect(s.waitFor { $0.first?.contains("console: h1 ") == true && $0.last?.contains("Esc back") == true },
                    "full-screen console: \(s.screen)")
            let first = try #require(TUISession.heartbeats(in: try s.capture()).max(), "\(s.screen)")
            #expect(s.waitFor(timeout: TUISession.slow) { TUISession.heartbeats(in: $0).contains(first + 1) },
                    "heartbeat \(first) then \(first + 1): \(s.screen)")
            #expect(TUISession.consoleTitle(in: try s.capture())?.contains("following") == true)
            // The boot banner is the console's first line: scrolling to the oldest line shows it.
            try s.tmux?.sendKeys("g")
            #expect(s.waitFor("unitop-fixture hello booted"), "\(s.screen)")
            try s.tmux?.sendKeys("Escape")
            #expect(s.waitFor("[1 Instances]"), "Esc returns to the list: \(s.screen)")
        }

        @Test func attachTypesIntoTheGuestAndCtrlBracketLeaves() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("hello", name: "h1")
            try s.open()
            #expect(s.waitForRow("h1", containing: "running"), "\(s.screen)")
            try s.tmux?.sendKeys("a")
            #expect(s.waitFor("INPUT"), "input mark: \(s.screen)")
            #expect(s.waitFor("keys go to the guest"), "status bar while attached: \(s.screen)")
            try s.tmux?.sendText("ping")
            try s.tmux?.sendKeys("Enter")
            #expect(s.waitFor("you typed: ping", timeout: TUISession.slow), "\(s.screen)")
            #expect(try s.h.waitForLog("h1", contains: "you typed: ping"))
            try s.tmux?.sendKeys("C-]")
            #expect(s.waitFor { lines in !lines.contains { $0.contains("INPUT") } && lines.joined().contains("left interactive console") },
                    "input mark gone: \(s.screen)")
            #expect(s.waitFor("[1 Instances]"), "back where attach started: \(s.screen)")
            #expect(try s.h.instance("h1")?.state == .running)
        }

        @Test func searchCountsMatchesAndMovesBetweenThem() throws {
            let s = try TUISession(); defer { s.close() }
            // 10 heartbeats a second: "heartbeat 3" and "heartbeat 30"…"39" within a few seconds; wait for 60 so
            // the newest match is not clamped to the bottom of the view (positions compare exactly).
            try s.start("hello", name: "h1", extra: ["--append", "heartbeat_ms=100"])
            #expect(try s.h.waitForLog("h1", contains: "heartbeat 60", timeout: TUISession.slow))
            try s.open(height: 16)
            #expect(s.waitForRow("h1", containing: "running"), "\(s.screen)")
            try s.tmux?.sendKeys("Enter")
            #expect(s.waitFor("Esc back"), "\(s.screen)")
            try s.tmux?.sendText("/heartbeat 3")
            try s.tmux?.sendKeys("Enter")
            func title() -> String { TUISession.consoleTitle(in: (try? s.tmux?.capture()) ?? []) ?? "" }
            func matchCount(_ t: String) -> Int? {
                guard let r = t.range(of: "/heartbeat 3 (") else { return nil }
                return Int(t[r.upperBound...].prefix { $0.isNumber })
            }
            func position(_ t: String) -> Int? {
                guard let r = t.range(of: "paused at ") else { return nil }
                return Int(t[r.upperBound...].prefix { $0.isNumber || $0 == "," }.filter { $0 != "," })
            }
            #expect(s.waitFor { _ in (matchCount(title()) ?? 0) >= 11 }, "match count in the title: \(title())")
            // Enter jumps to the newest match and stops following.
            #expect(s.waitFor { _ in position(title()) != nil }, "\(title())")
            let newest = try #require(position(title()))
            #expect(s.waitFor { $0.contains { $0.hasPrefix("heartbeat 39") } }, "newest match visible: \(s.screen)")
            // n wraps to the oldest match (heartbeat 3), N goes back to the newest.
            try s.tmux?.sendKeys("n")
            #expect(s.waitFor { _ in (position(title()) ?? newest) < newest }, "n moved up: \(title())")
            #expect(s.waitFor { $0.contains("heartbeat 3") }, "oldest match visible: \(s.screen)")
            let oldest = try #require(position(title()))
            try s.tmux?.sendKeys("N")
            #expect(s.waitFor { _ in position(title()) == newest }, "N moved back: \(title()) (from \(oldest))")
        }

        @Test func detailsShowTheQEMUCommandLineAndHelpListsKeys() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("hello", name: "h1")
            try s.open()
            #expect(s.waitForRow("h1", containing: "running"), "\(s.screen)")
            try s.tmux?.sendKeys("i")
            #expect(s.waitFor("details: h1"), "\(s.screen)")
            #expect(s.waitFor { $0.contains { $0.contains("Command line") && $0.contains("qemu-system") } }, "\(s.screen)")
            #expect(s.waitFor { $0.joined(separator: "\n").contains("hello.elf") && $0.joined().contains("tcg") }, "\(s.screen)")
            try s.tmux?.sendKeys("Escape")
            #expect(s.waitFor("[1 Instances]"), "\(s.screen)")
            try s.tmux?.sendKeys("?")
            #expect(s.waitFor(" Keys "), "help box: \(s.screen)")
            let help = try #require(try s.tmux?.screen())
            for text in ["instances / images", "full-screen console", "attach: type into the console", "graceful stop",
                         "pause / resume", "Esc closes"] {
                #expect(help.contains(text), "help lists \(text): \(help)")
            }
            try s.tmux?.sendKeys("Escape")
            #expect(s.waitFor { !$0.joined().contains("graceful stop") }, "help closed: \(s.screen)")
        }
    }
}
