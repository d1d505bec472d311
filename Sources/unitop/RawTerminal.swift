import Foundation

/// Puts the controlling terminal (stdin) in raw mode for `unitop console` and always puts it back:
/// on ``restore()``, at exit, and on SIGTERM, SIGHUP and SIGINT.
enum RawTerminal {
    // Written before the signal handlers are installed, read by them (async-signal-safe tcsetattr).
    nonisolated(unsafe) private static var saved = termios()
    nonisolated(unsafe) private static var active = false
    nonisolated(unsafe) private static var handlersInstalled = false

    /// True while the terminal is raw.
    static var isActive: Bool { active }

    /// Switches stdin to raw mode (no echo, no line editing, no signals from keys, 8-bit input).
    /// Output post-processing stays on so `\n` still returns the carriage. Returns false when stdin
    /// is not a terminal (then nothing changes).
    @discardableResult
    static func enable() -> Bool {
        guard !active, isatty(STDIN_FILENO) == 1 else { return false }
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return false }
        saved = original
        installHandlers()
        var raw = original
        raw.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
        raw.c_cflag &= ~tcflag_t(CSIZE | PARENB)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_oflag |= tcflag_t(OPOST | ONLCR)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { return false }
        active = true
        return true
    }

    /// Puts the terminal back as it was. Safe to call at any time, any number of times.
    static func restore() {
        guard active else { return }
        active = false
        var t = saved
        _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &t)
    }

    private static func installHandlers() {
        guard !handlersInstalled else { return }
        handlersInstalled = true
        atexit { RawTerminal.restore() }
        for sig in [SIGTERM, SIGHUP, SIGINT, SIGQUIT] {
            signal(sig) { sig in
                RawTerminal.restoreFromSignal()
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    /// Signal-handler path: only async-signal-safe calls.
    private static func restoreFromSignal() {
        if active {
            active = false
            var t = saved
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &t)
        }
    }
}
