import CNCursesW
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why the terminal could not be started.
public enum TerminalDriverError: Error, CustomStringConvertible, Sendable {
    case noTerminal
    case unknownTerminal(String)

    public var description: String {
        switch self {
        case .noTerminal: return "no terminal: standard input/output are not a tty and /dev/tty cannot be opened"
        case .unknownTerminal(let t): return "cannot start the terminal: unknown or unsuitable TERM '\(t)'"
        }
    }
}

/// The ncurses terminal driver: the only code that touches the terminal. All ncurses calls happen on
/// the main actor; a dedicated input thread blocks in `poll()` (stdin + a wake-up pipe fed by signal
/// handlers) and hands reading over to the main actor, so an idle UI neither spins nor writes.
///
/// ```swift
/// let driver = try NCursesDriver()                 // raw mode, alternate screen, hidden cursor
/// driver.onTerminationRequest = { _ in quit() }    // SIGTERM/SIGHUP/SIGINT → the app's quit path
/// driver.present(render(state, driver.size))
/// for await event in driver.events() { … driver.present(grid) … }
/// driver.shutdown()                                // also done at exit and on crashes
/// ```
@MainActor
public final class NCursesDriver {
    /// Start-up options.
    public struct Options: Sendable {
        /// Report mouse clicks and wheel (off by default so the terminal's own selection works).
        public var mouse: Bool
        /// ESC delay in milliseconds (time ncurses waits for the rest of an escape sequence).
        public var escapeDelayMilliseconds: Int32
        /// Seconds after SIGTERM/SIGHUP/SIGINT before the driver restores the terminal and exits by itself.
        public var terminationGraceSeconds: UInt32
        /// Environment consulted for NO_COLOR (defaults to the process environment).
        public var environment: [String: String]
        public init(mouse: Bool = false, escapeDelayMilliseconds: Int32 = 25, terminationGraceSeconds: UInt32 = 3,
                    environment: [String: String] = ProcessInfo.processInfo.environment) {
            self.mouse = mouse
            self.escapeDelayMilliseconds = escapeDelayMilliseconds
            self.terminationGraceSeconds = terminationGraceSeconds
            self.environment = environment
        }
    }

    /// What the terminal can show (decided once at start-up).
    public let capabilities: TerminalCapabilities
    /// Called on the main actor when SIGTERM, SIGHUP or SIGINT arrives (argument: the signal number).
    /// The app should quit through its normal path and call ``shutdown()``. When nil, the driver shuts
    /// down and exits with status 128+signal. Either way, if the process is still alive
    /// `terminationGraceSeconds` later, it restores the terminal and exits.
    public var onTerminationRequest: (@MainActor (Int32) -> Void)?
    /// Whether mouse reporting is on.
    public private(set) var mouseEnabled = false
    /// Number of frames that wrote to the terminal (for tests and benchmarks).
    public private(set) var framesWritten = 0

    private let inputFD: Int32
    private let outputFD: Int32
    private let screen: OpaquePointer
    private let wakeWriteFD: Int32
    private let continuation: AsyncStream<TerminalEvent>.Continuation
    private let stream: AsyncStream<TerminalEvent>
    private var colorMapper: ColorMapper
    private var decoder = TerminalInputDecoder()
    private var previous: Grid?
    private var clearNextFrame = false
    private var isShutDown = false
    private var reportedSize: (width: Int, height: Int)
    private let attributeMasks: [(TextAttributes, attr_t)]

    /// Starts ncurses on the controlling terminal (stdin/stdout when both are ttys, else /dev/tty).
    public init(options: Options = Options()) throws {
        setlocale(LC_ALL, "")
        var inFD: Int32 = 0, outFD: Int32 = 1
        if isatty(0) == 0 || isatty(1) == 0 {
            let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw TerminalDriverError.noTerminal }
            inFD = fd; outFD = fd
        }
        guard let inFile = fdopen(dup(inFD), "r"), let outFile = fdopen(dup(outFD), "w") else {
            throw TerminalDriverError.noTerminal
        }
        var pipeFDs: [Int32] = [0, 0]
        guard unitop_wake_pipe(&pipeFDs) == 0 else { throw TerminalDriverError.noTerminal }

        TerminalRestore.saveModes(inputFD: inFD)
        // Before newterm, so ncurses keeps its own SIGINT/SIGTERM/SIGWINCH handlers out of the way.
        TerminalRestore.installSignalHandlers(wakeFD: pipeFDs[1], graceSeconds: options.terminationGraceSeconds)
        guard let screen = newterm(nil, outFile, inFile) else {
            TerminalRestore.uninstallSignalHandlers()
            close(pipeFDs[0]); close(pipeFDs[1]); fclose(inFile); fclose(outFile)
            throw TerminalDriverError.unknownTerminal(options.environment["TERM"] ?? "")
        }
        set_term(screen)
        guard unitop_has_cursor_addressing() != 0 else {
            endwin()
            delscreen(screen)
            TerminalRestore.uninstallSignalHandlers()
            close(pipeFDs[0]); close(pipeFDs[1]); fclose(inFile); fclose(outFile)
            throw TerminalDriverError.unknownTerminal(options.environment["TERM"] ?? "")
        }
        self.screen = screen
        self.inputFD = inFD
        self.outputFD = outFD
        self.wakeWriteFD = pipeFDs[1]

        let win = unitop_curses_stdscr()
        raw()
        noecho()
        nonl()
        keypad(win, true)
        intrflush(win, false)
        leaveok(win, true)
        wtimeout(win, 0)
        set_escdelay(options.escapeDelayMilliseconds)
        curs_set(0)

        let caps = TerminalCapabilitiesDetector.detect(
            environment: options.environment, hasColors: has_colors(),
            colorCount: Int(unitop_terminfo_colors()), codeset: String(cString: unitop_codeset()))
        if caps.colors > 0 {
            start_color()
            use_default_colors()
        }
        capabilities = caps
        colorMapper = ColorMapper(colors: caps.colors, colorPairs: caps.colors > 0 ? Int(unitop_curses_color_pairs()) : 0)
        attributeMasks = [
            (.bold, unitop_attr_bold()), (.dim, unitop_attr_dim()), (.italic, unitop_attr_italic()),
            (.underline, unitop_attr_underline()), (.reverse, unitop_attr_reverse()),
        ]
        TerminalRestore.arm(outputFD: outFD)
        reportedSize = (Int(unitop_curses_cols()), Int(unitop_curses_lines()))
        (stream, continuation) = AsyncStream.makeStream(of: TerminalEvent.self, bufferingPolicy: .unbounded)
        if options.mouse { setMouseEnabled(true) }

        let pump = InputPump(inputFD: inFD, wakeReadFD: pipeFDs[0], wakeWriteFD: pipeFDs[1]) { [weak self] input in
            self?.handle(input) ?? false
        }
        pump.start()
    }

    /// A driver released without ``shutdown()`` still gives the terminal back.
    isolated deinit { shutdown() }

    /// Terminal size in columns and rows.
    public var size: (width: Int, height: Int) { (Int(unitop_curses_cols()), Int(unitop_curses_lines())) }

    /// Keys, mouse events and resizes, in order. One consumer; ends after ``shutdown()``.
    public func events() -> AsyncStream<TerminalEvent> { stream }

    /// Shows `grid`: writes only the cells that differ from the previous frame, then refreshes once.
    /// Writes nothing at all when the grid is unchanged.
    public func present(_ grid: Grid) {
        guard !isShutDown else { return }
        let win = unitop_curses_stdscr()
        if let p = previous, p.width != grid.width || p.height != grid.height { previous = nil }
        if previous == nil { werase(win) }
        if !clearNextFrame, let previous, previous == grid { return }
        let rows = min(grid.height, Int(unitop_curses_lines()))
        let cols = min(grid.width, Int(unitop_curses_cols()))
        var painter = RowPainter(window: win, unicode: capabilities.unicode)
        for y in 0..<rows {
            painter.paint(row: y, of: grid, previous: previous, columns: cols) { [self] style in
                (attributes(for: style), colorMapper.pair(for: style) { p, fg, bg in _ = unitop_init_pair(Int32(p), Int32(fg), Int32(bg)) })
            }
        }
        if clearNextFrame { clearok(unitop_curses_curscr(), true); clearNextFrame = false }
        wnoutrefresh(win)
        doupdate()
        previous = grid
        framesWritten += 1
    }

    /// Repaints the whole screen on the next ``present(_:)`` (Ctrl-L, or after something else wrote).
    public func requestFullRepaint() {
        clearNextFrame = true
        previous = nil
    }

    /// Turns mouse reporting (click + wheel) on or off.
    public func setMouseEnabled(_ on: Bool) {
        guard !isShutDown else { return }
        if on { mouseEnabled = unitop_mouse_enable(1) == 0 } else { _ = unitop_mouse_enable(0); mouseEnabled = false }
        TerminalRestore.setMouse(mouseEnabled)
        // ncurses sends the mouse mode sequence on the next refresh.
        doupdate()
    }

    /// Suspends the process (Ctrl-Z): restores the terminal, stops, and takes the screen back on resume.
    public func suspend() {
        guard !isShutDown else { return }
        endwin()
        TerminalRestore.disarm()
        unitop_suspend_self()
        TerminalRestore.arm(outputFD: outputFD)
        _ = checkResize()
        requestFullRepaint()
    }

    /// Restores the terminal: mouse off, cursor visible, main screen, original tty modes. Idempotent.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        TerminalRestore.uninstallSignalHandlers()
        var q: UInt8 = UInt8(ascii: "Q")
        _ = write(wakeWriteFD, &q, 1)
        if mouseEnabled { _ = unitop_mouse_enable(0) }
        curs_set(1)
        endwin()
        TerminalRestore.disarm()
        continuation.finish()
    }

    // MARK: - Input (called by the input thread through the main actor)

    private func handle(_ input: InputPump.Wakeup) -> Bool {
        guard !isShutDown else { return false }
        var events: [TerminalEvent] = []
        if input.resized, let e = checkResize() { events.append(e) }
        if input.stdinReady {
            var raw: [RawInput] = []
            var sawResize = false
            var value: Int32 = 0
            while true {
                let rc = unitop_get_wch(&value)
                if rc == ERR { break }
                if rc == KEY_CODE_YES {
                    if value == KEY_RESIZE { sawResize = true; continue }
                    if value == KEY_MOUSE {
                        var x: Int32 = 0, y: Int32 = 0, kind: Int32 = 0
                        if !mouseEnabled {
                            raw.append(.mouseReportStart)
                        } else if unitop_getmouse(&x, &y, &kind) == 0, let k = Self.mouseKind(kind) {
                            raw.append(.mouse(MouseEvent(kind: k, x: Int(x), y: Int(y))))
                        }
                        continue
                    }
                    if value > KEY_MAX, TerminalInputDecoder.key(forCode: value) == nil, let name = keyname(value) {
                        raw.append(.namedKey(String(cString: name)))
                    } else {
                        raw.append(.keyCode(value))
                    }
                } else {
                    raw.append(.character(UInt32(bitPattern: value)))
                }
            }
            if sawResize, let e = checkResize() { events.append(e) }
            events += decoder.decode(raw)
        }
        if input.timedOut { events += decoder.flush() }
        for e in events { continuation.yield(e) }
        if input.terminate || input.hangup { handleTermination(hangup: input.hangup) }
        return decoder.hasPending
    }

    private static func mouseKind(_ kind: Int32) -> MouseEvent.Kind? {
        switch kind {
        case 1: return .press
        case 2: return .wheelUp
        case 3: return .wheelDown
        default: return nil
        }
    }

    /// Applies a new window size (after SIGWINCH) and reports it once.
    private func checkResize() -> TerminalEvent? {
        var rows: Int32 = 0, cols: Int32 = 0
        if unitop_window_size(outputFD, &rows, &cols) == 0, rows != unitop_curses_lines() || cols != unitop_curses_cols() {
            resizeterm(rows, cols)
        }
        let now = size
        guard now != reportedSize else { return nil }
        reportedSize = now
        previous = nil
        return .resize(width: now.width, height: now.height)
    }

    private func handleTermination(hangup: Bool) {
        var sig = TerminalRestore.pendingTermination
        if sig == 0 { sig = hangup ? SIGHUP : SIGTERM }
        if let handler = onTerminationRequest {
            handler(sig)
        } else {
            shutdown()
            exit(128 + sig)
        }
    }

    private func attributes(for style: Style) -> attr_t {
        var a: attr_t = 0
        for (flag, mask) in attributeMasks where style.attributes.contains(flag) { a |= mask }
        return a
    }
}

extension NCursesDriver: @MainActor TerminalDriver {}

/// Writes the changed cells of one grid row to an ncurses window: runs of narrow characters with the
/// same style in one call, wide characters one by one (setcchar + wadd_wch). Characters the terminal
/// would show at a different width than the grid assumes (controls, or anything non-ASCII without a
/// UTF-8 locale) are written as `?` so the columns never shift.
struct RowPainter {
    let window: UnsafeMutablePointer<WINDOW>?
    let unicode: Bool
    private var run: [wchar_t] = []
    private var runStart = 0
    private var runStyle = Style.plain

    init(window: UnsafeMutablePointer<WINDOW>?, unicode: Bool) {
        self.window = window
        self.unicode = unicode
    }

    /// Paints the cells of row `y` that differ from `previous` (all cells when `previous` is nil).
    mutating func paint(row y: Int, of grid: Grid, previous: Grid?, columns: Int,
                        resolve: (Style) -> (attr_t, Int)) {
        var changed = [Bool](repeating: previous == nil, count: columns)
        if let previous {
            for x in 0..<columns where previous[x, y] != grid[x, y] { changed[x] = true }
            // A wide character and its continuation cell are redrawn together.
            for x in 0..<columns where changed[x] {
                if grid[x, y].isContinuation || previous[x, y].isContinuation, x > 0 { changed[x - 1] = true }
            }
            for x in stride(from: columns - 2, through: 0, by: -1) where changed[x] && !changed[x + 1] {
                if grid[x + 1, y].isContinuation || previous[x + 1, y].isContinuation { changed[x + 1] = true }
            }
        }
        var x = 0
        var skipContinuation = false
        while x < columns {
            let cell = grid[x, y]
            defer { x += 1 }
            guard changed[x] else { flush(y: y, resolve: resolve); skipContinuation = false; continue }
            if cell.isContinuation {
                if skipContinuation { skipContinuation = false; continue }
                append([wchar_t(32)], at: x, style: cell.style, y: y, resolve: resolve)
                continue
            }
            skipContinuation = false
            let wantsWide = x + 1 < columns && grid[x + 1, y].isContinuation
            let text = renderable(cell.character, wide: wantsWide)
            if wantsWide && text.wide {
                flush(y: y, resolve: resolve)
                let (attrs, pair) = resolve(cell.style)
                _ = text.chars.withUnsafeBufferPointer {
                    unitop_put_cell(window, Int32(y), Int32(x), $0.baseAddress, Int32($0.count), attrs, Int32(pair))
                }
                skipContinuation = true
            } else {
                append(text.chars, at: x, style: cell.style, y: y, resolve: resolve)
            }
        }
        flush(y: y, resolve: resolve)
    }

    private mutating func append(_ chars: [wchar_t], at x: Int, style: Style, y: Int, resolve: (Style) -> (attr_t, Int)) {
        if !run.isEmpty && style != runStyle { flush(y: y, resolve: resolve) }
        if run.isEmpty { runStart = x; runStyle = style }
        run += chars
    }

    private mutating func flush(y: Int, resolve: (Style) -> (attr_t, Int)) {
        guard !run.isEmpty else { return }
        let (attrs, pair) = resolve(runStyle)
        _ = run.withUnsafeBufferPointer {
            unitop_put_run(window, Int32(y), Int32(runStart), $0.baseAddress, Int32($0.count), attrs, Int32(pair))
        }
        run.removeAll(keepingCapacity: true)
    }

    /// The wide characters to write for `character`, and whether they take two columns.
    func renderable(_ character: Character, wide: Bool) -> (chars: [wchar_t], wide: Bool) {
        let question: [wchar_t] = [wchar_t(63)]
        let scalars = Array(character.unicodeScalars)
        guard let base = scalars.first else { return (question, false) }
        if !unicode {
            guard base.value >= 0x20 && base.value < 0x7F else { return (question, false) }
            return ([wchar_t(base.value)], false)
        }
        let width = unitop_wcwidth(wchar_t(base.value))
        guard width == (wide ? 2 : 1) else { return (question, false) }
        var chars = [wchar_t(base.value)]
        for s in scalars.dropFirst() where chars.count < 5 && unitop_wcwidth(wchar_t(s.value)) == 0 && s.value >= 0x300 {
            chars.append(wchar_t(s.value))
        }
        return (chars, width == 2)
    }
}
