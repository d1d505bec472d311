import Foundation
import Testing
import TUI
import UnitopTesting

/// The ncurses driver end to end: `unitop-termcheck` (a test pattern drawn through `NCursesDriver`)
/// running in tmux under several terminal types, locales and colour settings.
@Suite(.serialized) struct NCursesDriverTmuxTests {
    /// `UNITOP_TERMCHECK_BIN`, else `<repo>/.build/debug/unitop-termcheck` (built by `swift build`).
    static var termcheck: String {
        if let b = ProcessInfo.processInfo.environment["UNITOP_TERMCHECK_BIN"], !b.isEmpty { return b }
        return Fixtures.repositoryRoot.appendingPathComponent(".build/debug/unitop-termcheck").path
    }

    /// Runs termcheck under `sh`, which prints its exit status and then runs `cat`, so the pane shows
    /// what the terminal looks like once termcheck is gone.
    static func start(term: String = "xterm-256color", locale: String = "C.UTF-8", environment: [String: String] = [:],
                      width: Int = 80, height: Int = 24) throws -> Tmux {
        let binary = termcheck
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build unitop-termcheck first: \(binary)")
        var env = environment
        env["TERM"] = term
        env["LC_ALL"] = locale
        return try Tmux(width: width, height: height,
                        command: ["sh", "-c", "\(Tmux.shellQuote(binary)); echo EXITED $?; exec cat"],
                        environment: env, unset: environment["NO_COLOR"] == nil ? ["NO_COLOR"] : [])
    }

    /// termcheck's pid, read from its first line.
    static func termcheckPID(_ tmux: Tmux) throws -> Int32 {
        let first = try tmux.capture().first ?? ""
        let pid = first.split(separator: " ").first { $0.hasPrefix("pid=") }.flatMap { Int32($0.dropFirst(4)) }
        return try #require(pid, "no pid in: \(first)")
    }

    /// SGR colour codes (not the 39/49 defaults) in `capture-pane -e` output.
    static func colorCodes(_ s: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "\u{1b}\\[([0-9;]*)m")
        var found: [String] = []
        for m in regex.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
            guard let r = Range(m.range(at: 1), in: s) else { continue }
            let params = s[r].split(separator: ";").compactMap { Int($0) }
            if params.contains(where: { (30...38).contains($0) || (40...48).contains($0) || (90...97).contains($0) || (100...107).contains($0) }) {
                found.append(String(s[r]))
            }
        }
        return found
    }

    static func expectRestored(_ tmux: Tmux, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let modes = try tmux.modes()
        #expect(!modes.alternateScreen, "alternate screen still on", sourceLocation: sourceLocation)
        #expect(modes.cursorVisible, "cursor still hidden", sourceLocation: sourceLocation)
        #expect(!modes.keypad, "keypad transmit still on", sourceLocation: sourceLocation)
        #expect(!modes.mouseAny, "mouse reporting still on", sourceLocation: sourceLocation)
        #expect(!tmux.paneDead, "the shell behind termcheck died", sourceLocation: sourceLocation)
    }

    @Test(arguments: [("xterm-256color", 256, true), ("tmux-256color", 256, true), ("screen", 8, true),
                      ("vt100", 0, false), ("linux", 8, false)])
    func testPatternRendersAndTerminalIsRestoredOnQuit(term: String, colors: Int, alternateScreen: Bool) throws {
        let tmux = try Self.start(term: term)
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20), "\(term): \((try? tmux.screen()) ?? "")")
        let lines = try tmux.capture()
        #expect(lines.first?.hasPrefix("unitop-termcheck 80x24 colors=\(colors) unicode=yes") == true, "\(lines.first ?? "")")
        #expect(lines.contains { $0.hasPrefix("┌────") && $0.hasSuffix("┐") })
        #expect(lines.contains { $0.contains("wide: 日本語 ✓ é ü") })
        // Wide characters take two columns and shift nothing: every box row is 40 columns wide.
        let boxRows = lines.filter { $0.hasPrefix("│") }
        #expect(boxRows.count == 3)
        #expect(boxRows.allSatisfy { $0.hasSuffix("│") && $0.reduce(0) { $0 + $1.terminalWidth } == 40 }, "\(boxRows)")
        #expect(lines.contains { $0.hasPrefix("│ bold dim italic under rev") })
        #expect(lines.last?.hasSuffix("<80x24>") == true)
        let escapes = try tmux.captureWithEscapes()
        switch colors {
        case 256: #expect(escapes.contains("\u{1b}[48;5;"), "no 256-colour codes")
        case 8:
            #expect(escapes.contains("\u{1b}[41m") && !escapes.contains("48;5;"), "expected 8-colour codes only")
        default: #expect(Self.colorCodes(escapes).isEmpty, "colour codes on a monochrome terminal: \(Self.colorCodes(escapes))")
        }
        let modes = try tmux.modes()
        #expect(modes.alternateScreen == alternateScreen)
        if term != "vt100" { #expect(!modes.cursorVisible, "cursor shown while running") }

        try tmux.sendText("q")
        #expect(tmux.waitFor("EXITED 0", timeout: 20), "\((try? tmux.screen()) ?? "")")
        #expect(try tmux.screen().contains("unitop-termcheck: bye"))
        try Self.expectRestored(tmux)
    }

    @Test(arguments: ["dumb", "no-such-terminal"])
    func unusableTerminalIsRefusedWithAClearError(term: String) throws {
        let tmux = try Self.start(term: term, width: 120)
        defer { tmux.kill() }
        #expect(tmux.waitFor("EXITED 1", timeout: 20), "\((try? tmux.screen()) ?? "")")
        #expect(try tmux.screen().contains("unitop-termcheck: cannot start the terminal: unknown or unsuitable TERM '\(term)'"))
        try Self.expectRestored(tmux)
    }

    @Test func asciiFallbackWithoutUTF8Locale() throws {
        let tmux = try Self.start(locale: "C")
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        let lines = try tmux.capture()
        #expect(lines.first?.contains("unicode=no") == true)
        #expect(lines.contains { $0.hasPrefix("+----") && $0.hasSuffix("+") })
        #expect(lines.contains { $0.contains("wide: (ascii only)") })
        #expect(lines.allSatisfy { $0.unicodeScalars.allSatisfy { $0.isASCII } }, "non-ASCII on screen: \(lines)")
    }

    @Test func noColorTurnsColoursOff() throws {
        let tmux = try Self.start(environment: ["NO_COLOR": "1"])
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        #expect(try tmux.capture().first?.contains("colors=0") == true)
        let escapes = try tmux.captureWithEscapes()
        #expect(Self.colorCodes(escapes).isEmpty, "colour codes with NO_COLOR: \(Self.colorCodes(escapes))")
        #expect(escapes.contains("\u{1b}[1m"), "attributes still shown")
    }

    @Test func resizeRedrawsAtTheNewSize() throws {
        let tmux = try Self.start()
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        for (w, h) in [(100, 30), (60, 15), (80, 24)] {
            try tmux.resize(width: w, height: h)
            let marker = "<\(w)x\(h)>"
            #expect(tmux.waitFor(marker, timeout: 20), "\(marker) never drawn: \((try? tmux.screen()) ?? "")")
            let lines = try tmux.capture()
            #expect(lines.count == h)
            #expect(lines.first?.hasPrefix("unitop-termcheck \(w)x\(h) ") == true)
            #expect(lines.last?.hasSuffix(marker) == true)
            #expect(lines.allSatisfy { $0.count <= w })
            // Rows between the pattern and the bottom line are blank: nothing left over from before.
            #expect(lines[11..<(h - 1)].allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty }, "\(lines)")
            #expect(lines.filter { $0.contains("<") && $0.contains("x") && $0.hasSuffix(">") }.count == 1)
        }
    }

    @Test(arguments: ["xterm-256color", "screen", "linux"])
    func keysAreDecoded(term: String) throws {
        let tmux = try Self.start(term: term)
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        let keys: [(send: String, literal: Bool, name: String)] = [
            ("Up", false, "Up"), ("Down", false, "Down"), ("Left", false, "Left"), ("Right", false, "Right"),
            ("PPage", false, "PgUp"), ("NPage", false, "PgDn"), ("Home", false, "Home"), ("End", false, "End"),
            ("IC", false, "Insert"), ("DC", false, "Delete"), ("F1", false, "F1"), ("F5", false, "F5"),
            ("F12", false, "F12"), ("C-]", false, "Ctrl-]"), ("C-a", false, "Ctrl-A"), ("Escape", false, "Esc"),
            ("Tab", false, "Tab"), ("BTab", false, "BackTab"), ("Enter", false, "Enter"), ("BSpace", false, "Backspace"),
            ("é", true, "é"), ("x", true, "x"),
        ]
        for (i, key) in keys.enumerated() {
            if key.literal { try tmux.sendText(key.send) } else { try tmux.sendKeys(key.send) }
            let expected = "last key: \(key.name)  events: \(i + 1)"
            #expect(tmux.waitFor(expected, timeout: 10), "\(term) \(key.send): \((try? tmux.capture())?.dropFirst().first ?? "")")
        }
    }

    @Test func mouseReportingOnlyWhenEnabledAndOffAfterExit() throws {
        let tmux = try Self.start()
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        #expect(try !tmux.modes().mouseAny, "mouse must be off by default")
        // With the mouse off, a mouse report is dropped, not typed as text.
        try tmux.sendText("\u{1b}[<0;5;3M")
        try tmux.sendText("x")
        #expect(tmux.waitFor("last key: x  events: 1", timeout: 10), "\((try? tmux.screen()) ?? "")")
        try tmux.sendText("m")
        #expect(tmux.waitFor("mouse: on", timeout: 10))
        #expect(try tmux.modes().mouseAny)
        // SGR mouse reports (what the terminal sends): press at column 5 row 3 (1-based), wheel up, wheel down.
        try tmux.sendText("\u{1b}[<0;5;3M")
        #expect(tmux.waitFor("last mouse: press 4,2", timeout: 10))
        try tmux.sendText("\u{1b}[<64;7;4M")
        #expect(tmux.waitFor("last mouse: wheelUp 6,3", timeout: 10))
        try tmux.sendText("\u{1b}[<65;7;4M")
        #expect(tmux.waitFor("last mouse: wheelDown 6,3", timeout: 10))
        try tmux.sendText("q")
        #expect(tmux.waitFor("EXITED 0", timeout: 20))
        try Self.expectRestored(tmux)
    }

    @Test(arguments: [(SIGTERM, "15"), (SIGHUP, "1"), (SIGINT, "2")])
    func terminalIsRestoredAfterTerminationSignal(signal: Int32, name: String) throws {
        let tmux = try Self.start()
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        let pid = try Self.termcheckPID(tmux)
        #expect(kill(pid, signal) == 0)
        #expect(tmux.waitFor("EXITED \(128 + signal)", timeout: 20), "\((try? tmux.screen()) ?? "")")
        #expect(try tmux.screen().contains("terminated by signal \(name)"), "not through the app's quit path")
        try Self.expectRestored(tmux)
    }

    @Test func fallbackRestoresAndExitsWhenTheAppIgnoresTermination() throws {
        let tmux = try Self.start(environment: ["UNITOP_TERMCHECK_IGNORE_TERMINATION": "1"])
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        let pid = try Self.termcheckPID(tmux)
        #expect(kill(pid, SIGTERM) == 0)
        #expect(tmux.waitFor("termination request 15 ignored", timeout: 20))
        // The driver's grace period (3 s) passes, then it restores the terminal and exits 128+15.
        #expect(tmux.waitFor("EXITED 143", timeout: 20), "\((try? tmux.screen()) ?? "")")
        #expect(try !tmux.screen().contains("terminated by signal"), "the app ignored the request")
        try Self.expectRestored(tmux)
    }

    @Test func secondTerminationSignalExitsAtOnce() throws {
        // A grace period far beyond the wait below: only the second signal can end it in time.
        let tmux = try Self.start(environment: ["UNITOP_TERMCHECK_IGNORE_TERMINATION": "1", "UNITOP_TERMCHECK_GRACE": "300"])
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        let pid = try Self.termcheckPID(tmux)
        #expect(kill(pid, SIGHUP) == 0)
        #expect(tmux.waitFor("termination request 1 ignored", timeout: 20))
        #expect(kill(pid, SIGHUP) == 0)
        #expect(tmux.waitFor("EXITED 129", timeout: 20), "\((try? tmux.screen()) ?? "")")
        try Self.expectRestored(tmux)
    }

    @Test func ctrlZSuspendsToTheShellAndFgResumes() throws {
        let binary = Self.termcheck
        try #require(FileManager.default.isExecutableFile(atPath: binary))
        let tmux = try Tmux(width: 80, height: 24, command: ["bash", "--norc", "--noprofile", "-i"],
                            environment: ["TERM": "xterm-256color", "LC_ALL": "C.UTF-8", "PS1": "PROMPT$ "], unset: ["NO_COLOR"])
        defer { tmux.kill() }
        #expect(tmux.waitFor("PROMPT$", timeout: 20))
        try tmux.sendText(binary)
        try tmux.sendKeys("Enter")
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        try tmux.sendKeys("C-z")
        #expect(tmux.waitFor("Stopped", timeout: 20), "\((try? tmux.screen()) ?? "")")
        let suspended = try tmux.modes()
        #expect(!suspended.alternateScreen && suspended.cursorVisible && !suspended.keypad)
        try tmux.sendText("fg")
        try tmux.sendKeys("Enter")
        #expect(tmux.waitFor("last key: Ctrl-Z  events: 1", timeout: 20), "\((try? tmux.screen()) ?? "")")
        #expect(try tmux.modes().alternateScreen)
        try tmux.sendText("x")
        #expect(tmux.waitFor("last key: x  events: 2", timeout: 10))
        try tmux.sendText("q")
        #expect(tmux.waitFor("unitop-termcheck: bye", timeout: 20))
        #expect(try !tmux.modes().alternateScreen)
    }

    @Test func terminalIsRestoredAfterACrash() throws {
        let tmux = try Self.start(environment: ["SWIFT_BACKTRACE": "enable=no"])
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        try tmux.sendKeys("C-\\")
        #expect(tmux.waitFor(timeout: 30) { $0.contains { $0.hasPrefix("EXITED ") } }, "\((try? tmux.screen()) ?? "")")
        let status = try tmux.capture().first { $0.hasPrefix("EXITED ") }.flatMap { Int($0.dropFirst(7)) }
        #expect((status ?? 0) > 128, "termcheck should have died from a signal: \(String(describing: status))")
        try Self.expectRestored(tmux)
        // The shell's `cat` gets the terminal back in cooked mode: typed text is echoed.
        try tmux.sendText("after-crash")
        #expect(tmux.waitFor("after-crash", timeout: 10))
    }

    @Test func idleWritesNothingAndUsesNoCPU() throws {
        let binary = Self.termcheck
        try #require(FileManager.default.isExecutableFile(atPath: binary))
        let tmux = try Tmux(width: 80, height: 24, command: [binary],
                            environment: ["TERM": "xterm-256color", "LC_ALL": "C.UTF-8"], unset: ["NO_COLOR"])
        defer { tmux.kill() }
        #expect(tmux.waitFor("<80x24>", timeout: 20))
        let pid = try #require(tmux.pid)
        let file = NSTemporaryDirectory() + "/termcheck-idle-\(UUID().uuidString.prefix(8)).out"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try tmux.startRecordingOutput(to: file)
        let cpuBefore = try #require(Self.cpuTicks(pid: pid))
        // A measurement window, not synchronisation.
        Thread.sleep(forTimeInterval: 3)
        let cpuAfter = try #require(Self.cpuTicks(pid: pid))
        let idleBytes = Self.fileSize(file)
        print("termcheck idle over 3 s: \(idleBytes) bytes written, \(cpuAfter - cpuBefore) CPU ticks (utime+stime, 1/100 s)")
        #expect(idleBytes == 0, "idle termcheck wrote \(idleBytes) bytes")
        // The recording works: a key press redraws and is recorded.
        try tmux.sendKeys("Up")
        #expect(tmux.waitFor("last key: Up  events: 1", timeout: 10))
        #expect(Wait.blockingUntil(timeout: 10) { Self.fileSize(file) > 0 }, "recording saw no output after a key")
        let keyFrame = Self.fileSize(file)
        let clear = "\u{1b}[2J"
        #expect(!Self.contents(file).contains(clear), "a key press must not clear the screen")
        // Ctrl-L: a full repaint (clear + every cell), not a diff.
        try tmux.sendKeys("C-l")
        #expect(Wait.blockingUntil(timeout: 10) { Self.contents(file).contains(clear) }, "Ctrl-L did not repaint")
        #expect(tmux.waitFor("last key: Ctrl-L  events: 2", timeout: 10))
        print("termcheck frame after a key: \(keyFrame) bytes; full repaint (Ctrl-L): \(Self.fileSize(file) - keyFrame) bytes")
    }

    static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// utime + stime of `pid` in clock ticks, from /proc.
    static func cpuTicks(pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 13, let u = Int(fields[11]), let s = Int(fields[12]) else { return nil }
        return u + s
    }
}
