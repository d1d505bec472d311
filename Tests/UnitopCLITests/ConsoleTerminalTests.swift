import Foundation
import Models
import Testing
import UnitopTesting

/// `unitop console` in a real terminal (tmux): raw mode, keystrokes forwarded, Ctrl-] detaches,
/// and the terminal settings are restored on detach and on SIGTERM.
@Suite(.serialized) struct ConsoleTerminalTests {
    /// A tmux server of its own on a socket inside the test home.
    struct Tmux {
        let socket: String
        let environment: [String: String]
        let captureFile: String

        @discardableResult
        func run(_ args: [String]) -> Int32 {
            Spawn.run(["/usr/bin/tmux", "-S", socket] + args, environment: environment)
        }

        /// The visible pane text.
        func capture() -> String {
            let script = "exec /usr/bin/tmux -S '\(socket)' capture-pane -p -t t > '\(captureFile)'"
            guard Spawn.run(["/bin/sh", "-c", script], environment: environment) == 0 else { return "" }
            return (try? String(contentsOfFile: captureFile, encoding: .utf8)) ?? ""
        }

        func kill() { run(["kill-server"]) }
    }

    /// Starts `script` (run by /bin/sh) in a detached tmux session named `t` whose pane stays
    /// after the script ends.
    func tmux(_ h: CLIHarness, script: String) throws -> Tmux {
        var env = h.home.environment
        env["TERM"] = "xterm-256color"
        let t = Tmux(socket: h.home.root + "/tmux.sock", environment: env, captureFile: h.home.root + "/pane.txt")
        let status = t.run(["new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "/bin/sh", "-c", script, ";", "set-option", "-t", "t", "remain-on-exit", "on"])
        try #require(status == 0, "tmux new-session failed: \(status)")
        return t
    }

    @Test func typingForwardsAndCtrlBracketDetachesAndRestoresTheTerminal() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "t1")
        #expect(try h.waitForLog("t1", contains: "heartbeat 1"))
        let out = h.home.root + "/stty.txt"
        let bin = Fixtures.unitopBinary
        let t = try tmux(h, script: "stty -a > '\(out).before'; '\(bin)' console t1; echo \"status=$?\" > '\(out).status'; stty -a > '\(out)'")
        defer { t.kill() }
        #expect(Wait.blockingUntil(timeout: 20) { t.capture().contains("attached to t1") }, "attach line: \(t.capture())")
        #expect(Wait.blockingUntil(timeout: 20) { t.capture().contains("heartbeat") })
        t.run(["send-keys", "-t", "t", "-l", "hi there"])
        t.run(["send-keys", "-t", "t", "Enter"])
        #expect(try h.waitForLog("t1", contains: "you typed: hi there", timeout: 30))
        // Ctrl-C goes to the guest in raw mode instead of killing unitop.
        t.run(["send-keys", "-t", "t", "C-c"])
        t.run(["send-keys", "-t", "t", "C-]"])
        // The shell creates the file before stty writes to it: wait for what stty wrote.
        #expect(Wait.blockingUntil(timeout: 20) { (try? String(contentsOfFile: out, encoding: .utf8))?.contains("speed") == true },
                "console returned: \(t.capture())")
        #expect(Wait.blockingUntil(timeout: 5) { (try? String(contentsOfFile: out + ".status", encoding: .utf8)) == "status=0\n" })
        let before = try String(contentsOfFile: out + ".before", encoding: .utf8)
        let after = try String(contentsOfFile: out, encoding: .utf8)
        #expect(after == before, "terminal settings restored after detach")
        #expect(t.capture().contains("detached from t1"))
        #expect(try h.instance("t1")?.state == .running, "detach leaves it running")
    }

    @Test func sigtermRestoresTheTerminal() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try h.start("hello", name: "t2")
        let out = h.home.root + "/stty.txt"
        let pidFile = h.home.root + "/console.pid"
        let bin = Fixtures.unitopBinary
        let inner = "echo \\$\\$ > '\(pidFile)'; exec '\(bin)' console t2"
        let t = try tmux(h, script: "stty -a > '\(out).before'; sh -c \"\(inner)\"; stty -a > '\(out)'")
        defer { t.kill() }
        #expect(Wait.blockingUntil(timeout: 20) { t.capture().contains("attached to t2") })
        let pidText = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGTERM) == 0)
        #expect(Wait.blockingUntil(timeout: 20) { (try? String(contentsOfFile: out, encoding: .utf8))?.contains("speed") == true })
        let before = try String(contentsOfFile: out + ".before", encoding: .utf8)
        let after = try String(contentsOfFile: out, encoding: .utf8)
        #expect(after == before, "terminal settings restored after SIGTERM")
        #expect(try h.instance("t2")?.state == .running, "killing unitop never stops a guest")
    }
}
