/// The key reference: the help overlay lists all of it; the status bar shows the most useful keys.
public enum KeyBindings {
    public struct Binding: Sendable {
        public var keys: String
        public var description: String
        /// Changes an instance (hidden in read-only mode).
        public var isAction: Bool
    }

    public static let sections: [(title: String, bindings: [Binding])] = [
        ("Everywhere", [
            .init(keys: "1 / 2", description: "instances / images", isAction: false),
            .init(keys: "?", description: "this help (Esc closes)", isAction: false),
            .init(keys: "q, Ctrl-C", description: "quit (instances keep running)", isAction: false),
            .init(keys: "Esc", description: "back / close / clear filter", isAction: false),
            .init(keys: "Ctrl-L / Ctrl-Z", description: "redraw the screen / suspend", isAction: false),
        ]),
        ("Lists", [
            .init(keys: "j k, Down Up", description: "move", isAction: false),
            .init(keys: "PgDn PgUp, Ctrl-F Ctrl-B", description: "page", isAction: false),
            .init(keys: "g G, Home End", description: "first / last", isAction: false),
            .init(keys: "/", description: "filter (Enter keeps, Esc clears)", isAction: false),
            .init(keys: "< >", description: "sort by previous / next column", isAction: false),
            .init(keys: "I", description: "invert sort order", isAction: false),
            .init(keys: "Tab", description: "switch between list and console pane", isAction: false),
        ]),
        ("Instances", [
            .init(keys: "Enter, l", description: "full-screen console", isAction: false),
            .init(keys: "i", description: "details (QEMU command line, paths, exit)", isAction: false),
            .init(keys: "a", description: "attach: type into the console (Ctrl-] leaves)", isAction: true),
            .init(keys: "s", description: "start a new instance like the selected one", isAction: true),
            .init(keys: "S", description: "graceful stop (asks)", isAction: true),
            .init(keys: "K", description: "kill (asks)", isAction: true),
            .init(keys: "p", description: "pause / resume", isAction: true),
            .init(keys: "r", description: "restart (reset the guest)", isAction: true),
            .init(keys: "d", description: "remove (asks; kills first if running)", isAction: true),
        ]),
        ("Console", [
            .init(keys: "j k, PgDn PgUp", description: "scroll (scrolling up stops following)", isAction: false),
            .init(keys: "Ctrl-D Ctrl-U", description: "half page down / up", isAction: false),
            .init(keys: "g G", description: "oldest line / newest (follow)", isAction: false),
            .init(keys: "f", description: "follow new output on / off", isAction: false),
            .init(keys: "/", description: "search (smart case)", isAction: false),
            .init(keys: "n N", description: "next / previous match", isAction: false),
            .init(keys: "w", description: "wrap long lines on / off", isAction: false),
            .init(keys: "Esc, h", description: "clear search / back", isAction: false),
        ]),
        ("Images", [
            .init(keys: "s, Enter", description: "start form (defaults from the image sidecar)", isAction: true),
            .init(keys: "R", description: "rescan image directories", isAction: false),
        ]),
        ("Start form", [
            .init(keys: "Tab Down / Shift-Tab Up", description: "next / previous field", isAction: false),
            .init(keys: "Left Right", description: "choose the backend", isAction: false),
            .init(keys: "Enter / Esc", description: "start / cancel", isAction: false),
        ]),
        ("Dialogs", [
            .init(keys: "y / n, Esc", description: "confirm / cancel", isAction: false),
        ]),
    ]

    /// The help text as lines.
    static func helpLines(_ symbols: Symbols) -> [String] {
        var out: [String] = []
        for (title, bindings) in sections {
            if !out.isEmpty { out.append("") }
            out.append(title)
            for b in bindings { out.append("  " + b.keys.padded(to: 24) + " " + b.description) }
        }
        return out
    }

    /// Status bar hints for the current screen: (key, label).
    static func hints(for state: AppState) -> [(String, String)] {
        let enter = state.symbols.enter
        var h: [(String, String, Bool)]
        switch state.screen {
        case .instances where state.focus == .console:
            h = [("/", "search", false), ("n/N", "match", false), ("f", "follow", false), ("w", "wrap", false),
                 ("Tab", "list", false), (enter, "full", false), ("a", "attach", true), ("?", "help", false), ("q", "quit", false)]
        case .instances:
            h = [(enter, "console", false), ("a", "attach", true), ("s", "start", true), ("S", "stop", true),
                 ("K", "kill", true), ("p", "pause", true), ("r", "restart", true), ("d", "remove", true),
                 ("i", "details", false), ("/", "filter", false), ("<>", "sort", false), ("?", "help", false), ("q", "quit", false)]
        case .images:
            h = [("s", "start", true), ("/", "filter", false), ("R", "rescan", false), ("1", "instances", false),
                 ("?", "help", false), ("q", "quit", false)]
        case .details:
            h = [("j/k", "scroll", false), ("Esc", "back", false), ("?", "help", false), ("q", "quit", false)]
        case .console:
            h = [("Esc", "back", false), ("/", "search", false), ("n/N", "match", false), ("f", "follow", false),
                 ("w", "wrap", false), ("a", "attach", true), ("S", "stop", true), ("?", "help", false)]
        }
        return h.filter { !(state.readonly && $0.2) }.map { ($0.0, $0.1) }
    }
}
