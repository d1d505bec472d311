import Foundation
import Models
import Testing
import UnitopTesting

extension TUIEndToEnd {
    /// Guest output that tries to retitle, reset, query or reprogram the terminal must change nothing
    /// but the console pane's text.
    @Suite struct HostileTests {
        /// What the guest must not change: the pane title, tmux's mode flags, tmux's paste buffers
        /// (OSC 52 with `set-clipboard on`) and the lines outside the console.
        struct Untouched {
            var title: String
            var modes: Tmux.Modes
            var header: String
            var tabs: String
            var tableHeader: String
            var statusBar: String

            init(_ t: Tmux) throws {
                let lines = try t.capture()
                title = try t.paneTitle
                modes = try t.modes()
                header = lines.first ?? ""
                tabs = lines.count > 1 ? lines[1] : ""
                tableHeader = lines.count > 2 ? lines[2] : ""
                statusBar = lines.last ?? ""
            }

            func check(_ t: Tmux, lines expectedCount: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
                let lines = try t.capture()
                #expect(try t.paneTitle == title, "pane title", sourceLocation: sourceLocation)
                #expect(try t.modes() == modes, "terminal modes", sourceLocation: sourceLocation)
                let buffers = try t.tmux(["list-buffers"])
                #expect(buffers.stdout.isEmpty, "clipboard written: \(buffers.stdout)", sourceLocation: sourceLocation)
                #expect(lines.count == expectedCount, "\(lines.count) lines", sourceLocation: sourceLocation)
                #expect(lines.first == header, "header: \(lines.first ?? "")", sourceLocation: sourceLocation)
                #expect(lines.count > 2 && lines[1] == tabs && lines[2] == tableHeader, "tabs/table header:\n\(lines.joined(separator: "\n"))",
                        sourceLocation: sourceLocation)
                #expect(lines.last == statusBar, "status bar: \(lines.last ?? "")", sourceLocation: sourceLocation)
                // OSC payloads (titles) must not show up as text either. (The C1 lines of the attack corpus
                // do show their parameters as text: their introducers are dropped, the rest is printable.)
                #expect(!lines.joined().contains("PWNED-TITLE") && !lines.joined().contains("PWNED-0"), "OSC payload shown:\n\(lines.joined(separator: "\n"))", sourceLocation: sourceLocation)
                #expect(!t.paneDead, "the UI died", sourceLocation: sourceLocation)
            }
        }

        /// Opens the UI with only finished instances `names` (so nothing on screen changes with time), the
        /// first selected, and returns the baseline taken before the hostile console is shown.
        static func openWithBaseline(_ s: TUISession, first: String, hostile: String, firstText: String) throws -> (Tmux, Untouched) {
            let t = try s.open(width: 130, height: 32)
            try t.tmux(["set-option", "-g", "set-clipboard", "on"])
            #expect(s.waitFor(timeout: TUISession.slow) { lines in
                TUISession.row(hostile, in: lines).map { $0.contains("exited") || $0.contains("running") } == true
            }, "\(s.screen)")
            #expect(s.waitFor(firstText), "\(first)'s console: \(s.screen)")
            return (t, try Untouched(t))
        }

        @Test func attackFixtureChangesNothingOutsideTheConsole() throws {
            let s = try TUISession(); defer { s.close() }
            try #require(FileManager.default.fileExists(atPath: Fixtures.path("attack")), "build the attack fixture: make -C fixtures")
            try s.start("exit", name: "a0", extra: ["--append", "code=0"])
            #expect(try s.h.waitFor("a0", timeout: TUISession.slow) { $0.state.isFinished } != nil)
            try s.start("attack", name: "z9", extra: ["--memory", "32M", "--append", "longline=2000 flood=512"])
            #expect(try s.h.waitForLog("z9", contains: "ATTACK-END", timeout: TUISession.slow))
            let (t, before) = try Self.openWithBaseline(s, first: "a0", hostile: "z9", firstText: "exit: code=0")
            try s.select("z9")
            #expect(s.waitFor("ATTACK-END"), "attack output in the pane: \(s.screen)")
            try before.check(t, lines: 32)
            // Full screen from the oldest line: every attack label with its trailing text.
            try t.sendKeys("Enter")
            #expect(s.waitFor("Esc back"), "\(s.screen)")
            try t.sendKeys("g")
            #expect(s.waitFor("unitop-fixture attack booted"), "\(s.screen)")
            let screen = try t.screen()
            for label in ["osc-title: after", "osc52-clipboard: after", "reset: after", "alt-screen: after", "mouse: after",
                          "bracketed-paste: after", "queries: after", "screen-erase: after"] {
                #expect(screen.contains(label), "\(label) kept as text:\n\(screen)")
            }
            #expect(try t.paneTitle == before.title)
            #expect(try t.modes() == before.modes)
            #expect(try t.tmux(["list-buffers"]).stdout.isEmpty)
            #expect(try t.capture().count == 32)
            try t.sendKeys("Escape")
            #expect(s.waitFor("[1 Instances]"), "\(s.screen)")
            try before.check(t, lines: 32)
        }

        /// The exact sequences of issue #3, written into a finished instance's console log.
        @Test func hostileBytesInTheConsoleLogChangeNothingOutsideTheConsole() throws {
            let s = try TUISession(); defer { s.close() }
            try s.start("exit", name: "a0", extra: ["--append", "code=0"])
            try s.start("exit", name: "x1", extra: ["--append", "code=0"])
            #expect(try s.h.waitFor("a0", timeout: TUISession.slow) { $0.state.isFinished } != nil)
            #expect(try s.h.waitFor("x1", timeout: TUISession.slow) { $0.state.isFinished } != nil)
            let log = try s.consoleLogPath("x1")
            let hostile = [
                "title: \u{1b}]0;PWNED-0\u{7}\u{1b}]2;PWNED-2\u{1b}\\after",
                "clipboard: \u{1b}]52;c;UFdORUQ=\u{7}after",
                "reset: \u{1b}cafter",
                "altscreen: \u{1b}[?1049hafter \u{1b}[?1049lback",
                "status-query: \u{1b}[6nafter",
                "cursor-keys: \u{1b}[?1hafter",
                "mouse: \u{1b}[?1000h\u{1b}[?1006hafter",
                "paste: \u{1b}[?2004hafter",
                "HOSTILE-END",
            ].joined(separator: "\r\n") + "\r\n"
            let handle = try #require(FileHandle(forWritingAtPath: log), "open \(log)")
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(hostile.utf8))
            try handle.close()
            let (t, before) = try Self.openWithBaseline(s, first: "a0", hostile: "x1", firstText: "exit: code=0")
            try s.select("x1")
            #expect(s.waitFor("HOSTILE-END"), "hostile log in the pane: \(s.screen)")
            let screen = try t.screen()
            for text in ["title: after", "clipboard: after", "reset: after", "altscreen: after back", "status-query: after",
                         "cursor-keys: after", "mouse: after", "paste: after"] {
                #expect(screen.contains(text), "\(text) kept as text:\n\(screen)")
            }
            try before.check(t, lines: 32)
            try t.sendKeys("Enter")
            #expect(s.waitFor("Esc back"), "\(s.screen)")
            #expect(s.waitFor("HOSTILE-END"), "\(s.screen)")
            #expect(try t.paneTitle == before.title)
            #expect(try t.modes() == before.modes)
            #expect(try t.tmux(["list-buffers"]).stdout.isEmpty)
        }
    }
}
