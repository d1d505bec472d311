/// A key or other input from the terminal.
public enum Key: Sendable, Hashable {
    case character(Character)
    /// Ctrl plus a letter, e.g. `.control("]")` for Ctrl-].
    case control(Character)
    case enter, escape, tab, backTab, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown, insert
    case function(Int)
}

/// Mouse input (only when enabled in config).
public struct MouseEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case press, wheelUp, wheelDown }
    public var kind: Kind
    public var x: Int
    public var y: Int
    public init(kind: Kind, x: Int, y: Int) { self.kind = kind; self.x = x; self.y = y }
}

/// What a terminal driver reports.
public enum TerminalEvent: Sendable, Hashable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(width: Int, height: Int)
}

/// What the terminal can show, decided once at start-up.
public struct TerminalCapabilities: Sendable, Equatable {
    /// 0 (monochrome), 8, 16 or 256.
    public var colors: Int
    /// UTF-8 line drawing and symbols allowed.
    public var unicode: Bool
    public init(colors: Int, unicode: Bool) { self.colors = colors; self.unicode = unicode }
}

/// The only thing that touches a terminal. The ncurses driver is the real one; tests use
/// ``InMemoryDriver``.
///
/// The TUI runtime calls every method from the main actor, one call at a time. `events()` is
/// called once; the driver reads input however it likes (a thread, a dispatch source) and
/// yields decoded keys, mouse events and resizes; the stream finishes when input ends.
public protocol TerminalDriver: AnyObject {
    var size: (width: Int, height: Int) { get }
    var capabilities: TerminalCapabilities { get }
    /// Terminal input: keys, mouse (when enabled) and resizes, in order.
    func events() -> AsyncStream<TerminalEvent>
    /// Shows `grid`, writing only the cells that differ from the previous frame. A grid whose
    /// size differs from the previous one is drawn in full.
    func present(_ grid: Grid)
    /// Restores the terminal (idempotent).
    func shutdown()
    /// Draws the whole screen on the next ``present(_:)`` (Ctrl-L). Default: nothing.
    func requestFullRepaint()
    /// Gives the terminal back and stops the process until it is continued (Ctrl-Z). Default: nothing.
    func suspend()
}

extension TerminalDriver {
    public func requestFullRepaint() {}
    public func suspend() {}
}
