import Models

/// The glyphs the views draw, in a Unicode and an ASCII variant (chosen from the terminal's capabilities).
public struct Symbols: Sendable, Equatable {
    public var running: String
    public var paused: String
    public var exited: String
    public var crashed: String
    public var transitional: String
    public var created: String
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    public var connected: String
    public var disconnected: String
    public var dot: String
    public var ellipsis: String
    public var enter: String
    public var arrow: String
    public var emDash: String
    public var spinner: [String]
    public var sparks: [Character]

    public static let unicode = Symbols(
        running: "●", paused: "‖", exited: "✓", crashed: "✗", transitional: "◌", created: "○",
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        connected: "●", disconnected: "○", dot: "·", ellipsis: "…", enter: "⏎", arrow: "→", emDash: "—",
        spinner: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
        sparks: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"])

    public static let ascii = Symbols(
        running: "*", paused: "=", exited: "+", crashed: "x", transitional: "~", created: "o",
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        connected: "*", disconnected: "o", dot: "-", ellipsis: "~", enter: "Enter", arrow: "->", emDash: "-",
        spinner: ["|", "/", "-", "\\"],
        sparks: ["_", ".", ".", "-", "-", "=", "^", "#"])

    public static func forCapabilities(_ c: TerminalCapabilities) -> Symbols { c.unicode ? .unicode : .ascii }

    /// The state symbol (spinner frames for starting/stopping are chosen by the caller).
    public func symbol(for state: InstanceState) -> String {
        switch state {
        case .running: return running
        case .paused: return paused
        case .exited, .stopped: return exited
        case .crashed: return crashed
        case .starting, .stopping: return transitional
        case .created: return created
        }
    }
}
