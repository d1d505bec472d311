import Foundation
import Models
import Testing
import UnitopTesting

/// End-to-end tests of the interactive UI: the real `unitop` binary in a private tmux server, real QEMU
/// (TCG) booting the fixtures. Every suite nests in this one so they all run one after another.
@Suite(.serialized) struct TUIEndToEnd {}

/// One temporary unitop home whose config points at the fixtures (TCG, `stop_timeout = 2`), and the
/// real TUI running against it in tmux. ``close()`` (in a `defer`) kills the tmux server, removes every
/// instance and deletes the home.
final class TUISession: @unchecked Sendable {
    let h: CLIHarness
    private(set) var tmux: Tmux?

    /// Seconds to wait for anything that needs a guest to boot or change state on this loaded machine.
    static let slow: Double = 90
    /// Seconds to wait for the UI to react to a key.
    static let quick: Double = 20

    init(stopTimeout: Int = 2) throws {
        try CLIHarness.requireFixtures()
        h = try CLIHarness()
        let dir = h.home.configHome + "/unitop"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        image_dirs = ["\(Fixtures.directory)"]
        stop_timeout = \(stopTimeout)

        [qemu]
        accel = "tcg"
        """.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
    }

    /// The variables the UI needs to find this home (passed explicitly: the tmux server inherits the
    /// test runner's environment, not the home's).
    var environment: [String: String] {
        ["UNITOP_HOME": h.home.stateDirectory, "XDG_CONFIG_HOME": h.home.configHome, "XDG_DATA_HOME": h.home.dataHome,
         "UNITOP_RUNTIME_DIR": h.home.runtimeDirectory, "TERM": "xterm-256color", "LC_ALL": "C.UTF-8"]
    }

    /// Starts the TUI (`unitop ARGUMENTS`) in a new tmux server (killing the previous one) and waits
    /// for its first full frame (the status bar).
    /// With `underShell`, a shell runs the UI, prints `EXITED <status>` when it ends and stays (so the pane
    /// shows what the terminal looks like afterwards, and the shell, not tmux, reaps the UI).
    @discardableResult
    func open(width: Int = 130, height: Int = 32, arguments: [String] = [], waitForFrame: Bool = true,
              underShell: Bool = false) throws -> Tmux {
        tmux?.kill()
        var command = [Fixtures.unitopBinary] + arguments
        if underShell {
            command = ["sh", "-c", command.map(Tmux.shellQuote).joined(separator: " ") + "; echo EXITED $?; exec cat"]
        }
        let t = try Tmux(width: width, height: height, command: command, environment: environment, unset: ["NO_COLOR"])
        tmux = t
        if waitForFrame {
            try #require(t.waitFor("? help", timeout: Self.quick), "no first frame:\n\(screen)")
        }
        return t
    }

    /// The visible screen as lines.
    func capture() throws -> [String] {
        guard let tmux else { throw TmuxError.unexpectedOutput("the UI is not open") }
        return try tmux.capture()
    }

    /// The current screen (for failure messages).
    var screen: String { (try? tmux?.screen()) ?? "(no tmux)" }

    /// Kills the tmux server, removes every instance (`rm --force`) and the home.
    func close() {
        tmux?.kill()
        h.cleanup()
    }

    /// Starts a detached instance of `fixture` under TCG.
    @discardableResult
    func start(_ fixture: String, name: String, extra: [String] = []) throws -> String {
        try h.start(fixture, name: name, extra: extra)
    }

    // MARK: Reading the screen

    /// The instances table row of `name` (rows start with one space, then the name column).
    static func row(_ name: String, in lines: [String]) -> String? {
        lines.first { $0.hasPrefix(" \(name) ") }
    }

    /// The console title line (`─ console: NAME ─ …`), if shown.
    static func consoleTitle(in lines: [String]) -> String? {
        lines.first { $0.contains(" console: ") }
    }

    /// Waits until the row of `name` contains `text`.
    @discardableResult
    func waitForRow(_ name: String, containing text: String, timeout: Double = slow) -> Bool {
        tmux?.waitFor(timeout: timeout) { Self.row(name, in: $0)?.contains(text) == true } ?? false
    }

    /// Waits until the screen shows `text`.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = quick) -> Bool {
        tmux?.waitFor(text, timeout: timeout) ?? false
    }

    /// Waits until `predicate` holds for the screen's lines.
    @discardableResult
    func waitFor(timeout: Double = quick, _ predicate: ([String]) -> Bool) -> Bool {
        tmux?.waitFor(timeout: timeout, predicate) ?? false
    }

    /// From the instances screen: the images screen filtered to `fixture`, then its start form.
    func openStartForm(_ fixture: String) throws {
        let t = try #require(tmux)
        try t.sendKeys("2")
        #expect(waitFor("[2 Images]"), "\(screen)")
        #expect(waitFor { $0.contains { $0.hasPrefix(" \(fixture)") } }, "\(fixture) listed: \(screen)")
        try t.sendText("/\(fixture)")
        try t.sendKeys("Enter")
        #expect(waitFor { lines in lines.contains { $0.hasPrefix(" \(fixture) ") } && !lines.contains { $0.hasPrefix(" idle ") } },
                "filtered to \(fixture): \(screen)")
        try t.sendKeys("s")
        #expect(waitFor("Start \(fixture)"), "start form: \(screen)")
    }

    /// Moves the list cursor to `name` (the console pane title names the selected instance).
    func select(_ name: String) throws {
        let t = try #require(tmux)
        let selected: ([String]) -> Bool = { Self.consoleTitle(in: $0)?.contains("console: \(name) ") == true }
        if selected(try t.capture()) { return }
        try t.sendKeys("g")
        for _ in 0..<40 {
            if t.waitFor(timeout: 2, selected) { return }
            try t.sendKeys("j")
        }
        Issue.record("could not select \(name):\n\(screen)")
    }

    /// The numbers N of every `heartbeat N` line on the screen.
    static func heartbeats(in lines: [String]) -> [Int] {
        Fixtures.heartbeats(in: lines.joined(separator: "\n"))
    }

    /// `unitop ps --json` (running instances only), decoded.
    func running() throws -> [Instance] {
        let r = try h.unitop(["ps", "--json"])
        try #require(r.status == 0, "ps --json failed: \(r.stderr)")
        return try JSONCoding.decoder().decode([Instance].self, from: Data(r.stdout.utf8))
    }

    /// The console log path of `name`, from `unitop inspect`.
    func consoleLogPath(_ name: String) throws -> String {
        let r = try h.unitop(["inspect", name])
        try #require(r.status == 0, "inspect failed: \(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return try #require(object?["consoleLogPath"] as? String, "no consoleLogPath in: \(r.stdout)")
    }
}
