import CNCursesW

/// Puts the terminal back the way it was: on normal exit (`atexit`), on termination signals (through the
/// app's quit path, with a fallback) and on crashes (fatal signals restore, then re-raise).
///
/// The signal handlers are C (`Sources/CNCursesW/restore.c`) and async-signal-safe: they write the
/// restore sequences captured from terminfo at start-up (sgr0, op, cnorm, rmkx, rmcup, and mouse-off
/// when the mouse was on) with `write(2)` and reset the tty modes saved before ncurses started with
/// `tcsetattr`. `endwin` is only called from the driver's actor.
enum TerminalRestore {
    /// Saves the tty modes of `inputFD`; call before ncurses changes them.
    static func saveModes(inputFD: Int32) { unitop_restore_save_modes(inputFD) }

    /// Captures the restore sequences for the current ncurses terminal and arms restore-on-exit.
    static func arm(outputFD: Int32) { unitop_restore_arm(outputFD) }

    /// The terminal has been restored by `endwin`: nothing more to do at exit.
    static func disarm() { unitop_restore_disarm() }

    /// Records whether mouse reporting is on (so a crash also turns it off).
    static func setMouse(_ on: Bool) { unitop_restore_set_mouse(on ? 1 : 0) }

    /// Writes the restore sequences now (if still armed).
    static func restoreNow() { unitop_restore_now() }

    /// Installs the handlers. Termination requests and window-size changes are written as one byte
    /// ('T', 'W') to `wakeFD`; `graceSeconds` after a termination request the process restores the
    /// terminal and exits with 128+signal if the app has not exited by then.
    static func installSignalHandlers(wakeFD: Int32, graceSeconds: UInt32) {
        unitop_signals_install(wakeFD, graceSeconds)
    }

    /// Puts back the signal dispositions found at install time.
    static func uninstallSignalHandlers() { unitop_signals_uninstall() }

    /// The termination signal received (SIGTERM, SIGHUP or SIGINT), 0 if none.
    static var pendingTermination: Int32 { unitop_signals_pending_termination() }

    /// Cancels the fallback exit after a termination request.
    static func cancelFallback() { unitop_signals_cancel_fallback() }
}
