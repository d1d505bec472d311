import Foundation
import Synchronization

/// A program running in a detached tmux session on a private tmux server, for end-to-end UI tests.
///
/// Every instance uses its own server socket (`tmux -L unitop-<pid>-<random>`), never the user's, with
/// no user config, the status line off (the pane is exactly `width`×`height`) and `remain-on-exit on`
/// (a dead pane stays readable). Call ``kill()`` in a `defer`; it also happens on deinit.
///
/// ```swift
/// let tmux = try Tmux(width: 80, height: 24, command: ["/path/to/unitop"], environment: ["TERM": "xterm-256color"])
/// defer { tmux.kill() }
/// #expect(tmux.waitFor("Instances", timeout: 10))
/// try tmux.sendKeys("Down", "Enter")
/// try tmux.sendText("é")
/// let lines = try tmux.capture()
/// ```
public final class Tmux: Sendable {
    /// The pane's terminal modes, as tmux tracks them.
    public struct Modes: Sendable, Equatable {
        /// Alternate screen active (smcup without rmcup).
        public var alternateScreen: Bool
        /// Cursor visible.
        public var cursorVisible: Bool
        /// Keypad transmit mode (smkx).
        public var keypad: Bool
        /// Cursor keys application mode.
        public var keypadCursor: Bool
        /// Any mouse reporting on.
        public var mouseAny: Bool
        /// SGR mouse encoding on.
        public var mouseSGR: Bool
        /// Insert mode.
        public var insert: Bool
        /// Origin mode.
        public var origin: Bool
        /// Auto-wrap on.
        public var wrap: Bool
    }

    /// The tmux server socket name (`-L`).
    public let socket: String
    /// The session name.
    public let session = "unitop"
    private let configPath: String
    /// Whether ``kill()`` ran (it runs once).
    private let killed = Mutex(false)

    /// Starts `command` (argv) in a new detached session of `width`×`height`.
    /// - Parameters:
    ///   - environment: variables set for the command (e.g. `TERM`, `LC_ALL`, `NO_COLOR`).
    ///   - unset: variables removed from the command's environment.
    ///   - workingDirectory: the command's working directory (default: the current one).
    public init(width: Int, height: Int, command: [String], environment: [String: String] = [:], unset: [String] = [],
                workingDirectory: String? = nil) throws {
        socket = "unitop-\(getpid())-\(UUID().uuidString.prefix(8))"
        configPath = NSTemporaryDirectory() + "/\(socket).conf"
        try """
        set -g status off
        set -g remain-on-exit on
        set -g history-limit 2000
        set -g escape-time 10
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        var argv = ["/usr/bin/env"]
        for name in unset { argv += ["-u", name] }
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { argv.append("\(k)=\(v)") }
        argv += command
        var args = ["-f", configPath, "new-session", "-d", "-s", session, "-x", String(width), "-y", String(height)]
        if let workingDirectory { args += ["-c", workingDirectory] }
        args.append(argv.map(Self.shellQuote).joined(separator: " "))
        try startServer(args)
    }

    /// Runs the command that starts the server with `posix_spawn`, not `Process`: the server would
    /// inherit Foundation's exit-watch descriptor (and test pipes) and keep them open, so the launch
    /// would never be seen to finish. The child gets no descriptors beyond 0-2, an empty signal mask
    /// and default signal actions (a test runner's blocked signals must not leak into the program).
    private func startServer(_ args: [String]) throws {
        let errPath = configPath + ".err"
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        Self.closeDescriptorsFrom3(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGCHLD, SIGWINCH, SIGALRM] {
            sigaddset(&defaults, sig)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ["tmux", "-L", socket] + args
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, "tmux", &actions, &attributes, &cArgs, environ)
        guard rc == 0 else { throw TmuxError.commandFailed(["new-session"], "posix_spawn: \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "status \(status)"
            kill()
            throw TmuxError.commandFailed(["new-session"], err)
        }
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// Closes every descriptor above stderr in the child (glibc's `addclosefrom_np`, looked up at run
    /// time as Swift does not import it; else one close action per descriptor open now).
    private static func closeDescriptorsFrom3(_ actions: inout posix_spawn_file_actions_t) {
        if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(sym, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let fds = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in fds where fd > 2 && fcntl(fd, F_GETFD) >= 0 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    deinit { kill() }

    /// Quotes a word for the shell tmux runs the command with.
    public static func shellQuote(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs a tmux command against this server.
    @discardableResult
    public func tmux(_ arguments: [String]) throws -> RunResult {
        try Run.command(["tmux", "-L", socket] + arguments, timeout: 20)
    }

    private func checked(_ arguments: [String]) throws -> String {
        let r = try tmux(arguments)
        guard r.status == 0 else { throw TmuxError.commandFailed(arguments, r.stderr) }
        return r.stdout
    }

    /// Sends named keys (tmux key names: "Up", "PPage", "Home", "F5", "C-]", "Escape", "Enter", "BSpace").
    public func sendKeys(_ keys: String...) throws { try sendKeys(keys) }

    /// Sends named keys.
    public func sendKeys(_ keys: [String]) throws {
        _ = try checked(["send-keys", "-t", session] + keys)
    }

    /// Types `text` literally (UTF-8 allowed).
    public func sendText(_ text: String) throws {
        _ = try checked(["send-keys", "-t", session, "-l", text])
    }

    /// The visible screen as plain lines (trailing spaces trimmed by tmux).
    public func capture() throws -> [String] {
        let out = try checked(["capture-pane", "-p", "-t", session])
        var lines = out.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The visible screen as text, joined by newlines.
    public func screen() throws -> String { try capture().joined(separator: "\n") }

    /// The visible screen with SGR escape sequences for colours and attributes (`capture-pane -e`).
    public func captureWithEscapes() throws -> String {
        try checked(["capture-pane", "-p", "-e", "-t", session])
    }

    /// Evaluates a tmux format for the pane, e.g. `"#{pane_pid}"`.
    public func display(_ format: String) throws -> String {
        try checked(["display-message", "-p", "-t", session, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The pane title (set by the program with OSC 0/2).
    public var paneTitle: String { get throws { try display("#{pane_title}") } }

    /// The pane's terminal modes (this tmux has no bracketed-paste format, so that one is not reported).
    public func modes() throws -> Modes {
        let names = ["alternate_on", "cursor_flag", "keypad_flag", "keypad_cursor_flag", "mouse_any_flag",
                     "mouse_sgr_flag", "insert_flag", "origin_flag", "wrap_flag"]
        let out = try display(names.map { "#{\($0)}" }.joined(separator: " "))
        let v = out.split(separator: " ").map { $0 == "1" }
        guard v.count == names.count else { throw TmuxError.unexpectedOutput(out) }
        return Modes(alternateScreen: v[0], cursorVisible: v[1], keypad: v[2], keypadCursor: v[3], mouseAny: v[4],
                     mouseSGR: v[5], insert: v[6], origin: v[7], wrap: v[8])
    }

    /// Resizes the window (and so the pane) to `width`×`height`.
    public func resize(width: Int, height: Int) throws {
        _ = try checked(["resize-window", "-t", session, "-x", String(width), "-y", String(height)])
    }

    /// Pane size as tmux reports it.
    public func paneSize() throws -> (width: Int, height: Int) {
        let parts = try display("#{pane_width} #{pane_height}").split(separator: " ").compactMap { Int($0) }
        guard parts.count == 2 else { throw TmuxError.unexpectedOutput(parts.description) }
        return (parts[0], parts[1])
    }

    /// Polls the screen until it contains `text` or `timeout` seconds pass.
    @discardableResult
    public func waitFor(_ text: String, timeout: Double) -> Bool {
        Wait.blockingUntil(timeout: timeout) { ((try? screen()) ?? "").contains(text) }
    }

    /// Polls the screen until `predicate` holds for its lines or `timeout` seconds pass.
    @discardableResult
    public func waitFor(timeout: Double, _ predicate: ([String]) -> Bool) -> Bool {
        Wait.blockingUntil(timeout: timeout) { predicate((try? capture()) ?? []) }
    }

    /// The pid of the pane's process (the command started).
    public var pid: Int32? { (try? display("#{pane_pid}")).flatMap { Int32($0) } }

    /// True once the command has exited and tmux has its exit status or signal (the pane stays, see
    /// `remain-on-exit`). tmux marks a pane dead when its output ends, which can be before it has reaped
    /// the process; this waits for both.
    ///
    /// tmux 3.3a here sometimes misses the SIGCHLD of the pane's process (seen in 4-17 of 30-60
    /// plain-shell launches of `sh -c 'sleep 0.2; exit 7'`: the process stays a zombie, the status
    /// stays empty for good). Any later child exit makes the server reap every zombie, so a dead pane
    /// with no status gets a `run-shell true` to recover it.
    public var paneDead: Bool {
        guard let out = try? display("#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}") else { return false }
        let parts = out.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "1" else { return false }
        if parts[1].isEmpty && parts[2].isEmpty {
            _ = try? checked(["run-shell", "true"])
            return false
        }
        return true
    }

    /// Exit status of the dead pane's process, if it exited normally.
    public var paneDeadStatus: Int32? { (try? display("#{pane_dead_status}")).flatMap { Int32($0) } }

    /// Signal that killed the dead pane's process, if any.
    public var paneDeadSignal: Int32? { (try? display("#{pane_dead_signal}")).flatMap { Int32($0) } }

    /// Appends everything the program writes to the terminal from now on to `path` (`pipe-pane -o`).
    public func startRecordingOutput(to path: String) throws {
        _ = try checked(["pipe-pane", "-o", "-t", session, "cat >> " + Self.shellQuote(path)])
    }

    /// Stops ``startRecordingOutput(to:)``.
    public func stopRecordingOutput() throws {
        _ = try checked(["pipe-pane", "-t", session])
    }

    /// Kills the server and removes its socket and config. Idempotent.
    public func kill() {
        let first = killed.withLock { k in
            defer { k = true }
            return !k
        }
        guard first else { return }
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: configPath)
        try? FileManager.default.removeItem(atPath: "/tmp/tmux-\(getuid())/\(socket)")
    }
}

/// A tmux command that failed.
public enum TmuxError: Error, CustomStringConvertible {
    case commandFailed([String], String)
    case unexpectedOutput(String)

    public var description: String {
        switch self {
        case .commandFailed(let args, let err): return "tmux \(args.joined(separator: " ")) failed: \(err)"
        case .unexpectedOutput(let out): return "unexpected tmux output: \(out)"
        }
    }
}
