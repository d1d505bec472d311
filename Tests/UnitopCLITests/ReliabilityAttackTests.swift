import Foundation
import Models
import Testing
import UnitopTesting

/// Guest output is hostile: the `attack` fixture writes a corpus of terminal attacks (OSC title,
/// clipboard and link, DCS/APC/PM/SOS, reset, alternate screen, mouse, bracketed paste, queries,
/// 8-bit C1, invalid UTF-8, oversized CSI/OSC, NUL/BEL floods, a long line without newline) and
/// `unitop logs` / `unitop console` must pass only text and SGR colours.
@Suite(.serialized) struct ReliabilityAttackTests {
    /// Labels of the fixture's attack lines; each line ends in `after` once its sequences are gone.
    static let labels = [
        "osc-title", "osc52-clipboard", "osc8-link", "osc-colors", "dcs", "apc-pm-sos", "reset", "alt-screen",
        "mouse", "bracketed-paste", "focus-and-cursor", "queries", "window-ops", "screen-erase", "charset",
        "c1-raw", "c1-utf8", "invalid-utf8", "oversized-csi", "oversized-osc", "unterminated-then-can",
        "nul-flood", "bel-flood",
    ]

    /// Payloads that must never reach the terminal (they only exist inside dropped sequences).
    static let hiddenPayloads = [
        "PWNED-TITLE", "PWNED-ICON", "cHduZWQ=", "evil.example", "APC-PAYLOAD", "PM-PAYLOAD", "SOS-PAYLOAD",
        "rgb:ff/00/00", "NEVER-ENDS",
    ]

    @Test func attackCorpusIsNeutralisedInLogsAndConsole() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let longLine = Stress.attackLongLine
        try h.start("attack", name: "atk", extra: ["--append", "longline=\(longLine)"])
        #expect(try h.waitForLog("atk", contains: "ATTACK-END", timeout: 120), "the attack fixture finished")

        // The raw log holds the attacks (so the fixture really sent them).
        let raw = try h.unitop(["logs", "atk", "--raw"])
        #expect(raw.status == 0)
        for needle in ["\u{1b}]52;c;", "\u{1b}[?1049h", "\u{1b}P1$q", "\u{1b}_APC", "\u{1b}[6n"] {
            #expect(raw.stdout.contains(needle), "raw log lacks \(needle.debugDescription)")
        }

        let logs = try h.unitop(["logs", "atk"])
        #expect(logs.status == 0, "\(logs.stderr)")
        Self.expectNeutralised(logs.stdoutBytes, longLine: longLine, whole: true, what: "logs")

        // The console path (the last 64 KiB of history on attach: mostly the long line) goes
        // through the same sanitizer. stdin at its end: the console keeps following.
        let console = try BackgroundUnitop(["console", "atk"], harness: h)
        #expect(Wait.blockingUntil(timeout: 30) { console.output.contains("ATTACK-END") }, "console shows the history")
        kill(console.process.processIdentifier, SIGKILL)
        console.process.waitUntilExit()
        Self.expectNeutralised(Array(console.output.utf8), longLine: nil, whole: false, what: "console")
        #expect(try h.instance("atk")?.state == .running, "the attacker is still running, nothing broke")
    }

    /// Sequences the TUI must never write while showing guest output (its own start-up sequences
    /// are written before the recording starts).
    static let forbiddenInTUIOutput = [
        "\u{1b}]", "\u{1b}P", "\u{1b}_", "\u{1b}^", "\u{1b}X", "\u{1b}c", "\u{1b}[?1049h", "\u{1b}[?47h", "\u{1b}[?1047h",
        "\u{1b}[?1000h", "\u{1b}[?1002h", "\u{1b}[?1003h", "\u{1b}[?1006h", "\u{1b}[?1015h", "\u{1b}[?2004h",
        "\u{1b}[?1004h", "\u{1b}[6n", "\u{1b}[c", "\u{1b}[>c", "\u{1b}[5n", "\u{1b}[18t", "\u{1b}[21t", "\u{1b}[8;",
        "\u{1b}[?5h", "\u{1b}[3J", "\u{1b}#8", "PWNED-TITLE", "PWNED-ICON", "cHduZWQ=",
    ]

    @Test func attackCorpusInTheTUILeavesTheTerminalAlone() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "a-hello")
        // A fixed long line: with a longer one the first attack lines scroll out of the pane.
        try h.start("attack", name: "z-atk", extra: ["--append", "longline=100000"])
        #expect(try h.waitForLog("z-atk", contains: "ATTACK-END", timeout: 120))
        var env = h.home.environment.filter { ["UNITOP_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "UNITOP_RUNTIME_DIR", "PATH", "HOME"].contains($0.key) }
        env["TERM"] = "xterm-256color"
        env["LANG"] = "C.UTF-8"
        let tmux = try Tmux(width: 120, height: 40, command: [Fixtures.unitopBinary], environment: env)
        defer { tmux.kill() }
        // Baseline: the benign instance is selected (first row), its console below.
        #expect(tmux.waitFor("console: a-hello", timeout: 30), "\((try? tmux.screen()) ?? "")")
        #expect(tmux.waitFor("heartbeat", timeout: 30))
        let title = try tmux.paneTitle
        let modes = try tmux.modes()
        let before = try tmux.capture()
        let recording = h.home.root + "/tui-output"
        try tmux.startRecordingOutput(to: recording)

        try tmux.sendKeys("Down")
        #expect(tmux.waitFor("console: z-atk", timeout: 30))
        #expect(tmux.waitFor("ATTACK-END", timeout: 60), "\((try? tmux.screen()) ?? "")")
        #expect(tmux.waitFor("osc-title: after", timeout: 10), "the attack lines are shown")
        let after = try tmux.capture()
        try tmux.stopRecordingOutput()
        #expect(try tmux.paneTitle == title, "the pane title changed")
        let modesAfter = try tmux.modes()
        #expect(modesAfter == modes, "terminal modes changed: \(modes) -> \(modesAfter)")
        // Everything outside the console pane (header, table, key line) is unchanged but for the
        // selection and the live columns: compare the fixed parts.
        let consoleHeader = try #require(after.firstIndex { $0.contains("console: z-atk") })
        #expect(before.prefix(2) == after.prefix(2), "header changed: \(before.prefix(2)) -> \(after.prefix(2))")
        #expect(after[..<consoleHeader].contains { $0.contains("z-atk") && $0.contains("running") }, "the table still shows the attacker")
        #expect(before.last == after.last, "key line changed: \(before.last ?? "") -> \(after.last ?? "")")
        #expect(after.count == before.count)
        let written = (try? Data(contentsOf: URL(fileURLWithPath: recording))) ?? Data()
        #expect(!written.isEmpty, "the TUI drew the attacker's console")
        let text = String(decoding: written, as: UTF8.self)
        for bad in Self.forbiddenInTUIOutput {
            #expect(!text.contains(bad), "the TUI wrote \(bad.debugDescription) to the terminal")
        }
        #expect(!written.contains(0x07) && !written.contains(0x00), "no BEL or NUL reached the terminal")
        let tuiPid = tmux.pid
        try tmux.sendKeys("q")
        let quit = Wait.blockingUntil(timeout: 20) { processHasExited(tuiPid) }
        #expect(quit, "the TUI quits: \(quit ? "" : processDiagnosis(tuiPid))")
        #expect(try h.instance("z-atk")?.state == .running, "quitting the TUI leaves instances running")
    }

    /// What reaches the terminal: valid UTF-8, no C0/C1 control but HT/CR/LF, every ESC an SGR,
    /// no hidden payload, the end marker; for the `whole` output also every attack line's
    /// trailing text and the colours.
    static func expectNeutralised(_ bytes: [UInt8], longLine: Int?, whole: Bool, what: String) {
        #expect(onlySGR(bytes), "\(what): an escape other than SGR (or a C0 control) got through")
        let text = String(validating: bytes, as: UTF8.self)
        #expect(text != nil, "\(what): output is not valid UTF-8")
        guard let text else { return }
        let c1 = text.unicodeScalars.filter { (0x80...0x9F).contains($0.value) }
        #expect(c1.isEmpty, "\(what): C1 controls \(c1.map { String($0.value, radix: 16) }) got through")
        #expect(!text.unicodeScalars.contains { $0.value == 0x07 || $0.value == 0 }, "\(what): BEL or NUL got through")
        for payload in hiddenPayloads {
            #expect(!text.contains(payload), "\(what): \(payload) (inside a dropped sequence) reached the terminal")
        }
        #expect(text.contains("ATTACK-END"), "\(what): the end marker is missing")
        guard whole else { return }
        let lines = bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        for label in labels {
            let line = lines.first { $0.hasPrefix(label + ": ") }
            #expect(line != nil, "\(what): the \(label) line is missing")
            if let line {
                #expect(line.hasSuffix("after\r") || line.hasSuffix("after"),
                        "\(what): the \(label) line lost its text: \(line.prefix(200).debugDescription)")
            }
        }
        #expect(text.contains("\u{FFFD}"), "\(what): invalid UTF-8 shows as U+FFFD")
        #expect(text.contains("\u{1b}[") && text.contains("red-bold") && text.contains("orange"), "\(what): SGR colours are kept")
        if let longLine {
            let line = lines.first { $0.hasPrefix("long-line: ") } ?? ""
            let letters = line.drop { $0 != " " }.dropFirst().filter { $0.isLetter }.count
            #expect(letters == longLine, "\(what): the \(longLine)-byte line came out with \(letters) letters")
        }
    }
}
