import Foundation
import Testing
import UnitopTesting

/// The tmux harness itself, driven with plain shell programs.
@Suite struct TmuxHarnessTests {
    @Test func startsAtTheGivenSizeWithEnvironmentAndCapturesText() throws {
        let tmux = try Tmux(width: 70, height: 20, command: ["sh", "-c", "echo \"term=$TERM v=$HARNESS_V\"; exec cat"],
                            environment: ["TERM": "vt100", "HARNESS_V": "x y"])
        defer { tmux.kill() }
        #expect(tmux.waitFor("term=vt100 v=x y", timeout: 10), "\((try? tmux.screen()) ?? "")")
        let size = try tmux.paneSize()
        #expect(size.width == 70 && size.height == 20)
        #expect(try tmux.capture().count == 20)
        try tmux.sendText("héllo 'quoted'")
        try tmux.sendKeys("Enter")
        #expect(tmux.waitFor(timeout: 10) { $0.filter { $0 == "héllo 'quoted'" }.count == 2 }, "cat echo + output")
        try tmux.resize(width: 50, height: 12)
        let resized = try tmux.paneSize()
        #expect(resized.width == 50 && resized.height == 12)
    }

    @Test func reportsModesTitleAndEscapes() throws {
        let script = #"printf '\033[?1049h\033[?25l\033[?1h\033=\033[?1000h\033[?1006h\033]2;harness-title\007\033[31mred\033[0m ready'; exec cat"#
        let tmux = try Tmux(width: 60, height: 10, command: ["sh", "-c", script])
        defer { tmux.kill() }
        #expect(tmux.waitFor("red ready", timeout: 10))
        let modes = try tmux.modes()
        #expect(modes.alternateScreen)
        #expect(!modes.cursorVisible)
        #expect(modes.keypad)
        #expect(modes.keypadCursor)
        #expect(modes.mouseAny)
        #expect(modes.mouseSGR)
        #expect(modes.wrap)
        #expect(!modes.insert && !modes.origin)
        #expect(try tmux.paneTitle == "harness-title")
        let escaped = try tmux.captureWithEscapes()
        #expect(escaped.contains("\u{1b}[31mred"))
        #expect(try !tmux.captureWithEscapes().isEmpty && !(try tmux.screen()).contains("\u{1b}"))
    }

    @Test func deadPaneStatusAndPrivateServerCleanup() throws {
        let tmux = try Tmux(width: 40, height: 5, command: ["sh", "-c", "echo bye; exit 7"])
        #expect(Wait.blockingUntil(timeout: 10) { tmux.paneDead })
        #expect(tmux.paneDeadStatus == 7)
        #expect(tmux.waitFor("Pane is dead", timeout: 10))
        #expect(tmux.socket.hasPrefix("unitop-"))
        tmux.kill()
        let r = try Run.command(["tmux", "-L", tmux.socket, "has-session"])
        #expect(r.status != 0, "server still running after kill")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/tmux-\(getuid())/\(tmux.socket)"))
    }

    @Test func pidIsTheCommandAndOutputCanBeRecorded() throws {
        let tmux = try Tmux(width: 40, height: 5, command: ["sh", "-c", "read x; echo got-$x; exec cat"])
        defer { tmux.kill() }
        let pid = try #require(tmux.pid)
        #expect(FileManager.default.fileExists(atPath: "/proc/\(pid)"))
        let file = NSTemporaryDirectory() + "/tmux-rec-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try tmux.startRecordingOutput(to: file)
        try tmux.sendText("abc")
        try tmux.sendKeys("Enter")
        #expect(tmux.waitFor("got-abc", timeout: 10))
        #expect(Wait.blockingUntil(timeout: 10) { ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains("got-abc") })
        try tmux.stopRecordingOutput()
    }
}
