import Models

/// The glyphs the views draw, in a Unicode and an ASCII variant (chosen from the terminal's capabilities).
public final class Symbols: Sendable {
    public let running: String
    public let paused: String
    public let exited: String
    public let crashed: String
    public let transitional: String
    public let created: String
    public let horizontal: Character
    public let vertical: Character
    public let topLeft: Character
    public let topRight: Character
    public let bottomLeft: Character
    public let bottomRight: Character
    public let connected: String
    public let disconnected: String
    public let dot: String
    public let ellipsis: String
    public let enter: String
    public let arrow: String
    public let emDash: String
    public let spinner: [String]
    public let sparks: [Character]

    init(
        running: String, paused: String, exited: String, crashed: String, transitional: String, created:
        String, horizontal: Character, vertical: Character, topLeft: Character, topRight: Character,
        bottomLeft: Character, bottomRight: Character, connected: String, disconnected: String, dot: String,
        ellipsis: String, enter: String, arrow: String, emDash: String, spinner: [String], sparks: [Character]
    ) {
        self.running = running; self.paused = paused; self.exited = exited; self.crashed = crashed;
        self.transitional = transitional; self.created = created; self.horizontal = horizontal; self.vertical
        = vertical; self.topLeft = topLeft; self.topRight = topRight; self.bottomLeft = bottomLeft;
        self.bottomRight = bottomRight; self.connected = connected; self.disconnected = disconnected; self.dot
        = dot; self.ellipsis = ellipsis; self.enter = enter; self.arrow = arrow; self.emDash = emDash;
        self.spinner = spinner; self.sparks = sparks
    }

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
