import Foundation

/// The bottom line: the most useful keys for the current screen (action keys hidden when
/// read-only) on the left, the last message or error on the right.
enum StatusBarView {
    static let timeFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "HH:mm:ss"
        return f
    }()

    static func draw(_ grid: inout Grid, _ s: AppState, _ layout: Layout) {
        let t = s.theme
        let y = layout.statusY
        grid.fill(x: 0, y: y, width: grid.width, height: 1, style: Style())
        var message: (String, Style)?
        if let m = s.status {
            let stamp = m.time.timeIntervalSince1970 > 0 ? timeFormatter.string(from: m.time) + " " : ""
            message = (" " + stamp + m.text + " ", m.isError ? t[.error] : t[.message])
        }
        // Errors may take two thirds of the line, other messages half: the key hints stay useful.
        let share = (s.status?.isError ?? false) ? grid.width * 2 / 3 : grid.width / 2
        let msgWidth = message.map { min($0.0.displayWidth, share) } ?? 0
        let keysRight = grid.width - msgWidth - (msgWidth > 0 ? 1 : 0)
        if s.interactive != nil {
            grid.put(" keys go to the guest · Ctrl-] leaves", x: 0, y: y, style: t[.dim], maxWidth: keysRight)
        } else {
            var x = 1
            // The global hints (help, quit) come last and always stay: screen hints that do not
            // fit are dropped from the end of the screen's own ones.
            var hints = KeyMap.hints(for: s)
            let globals = KeyMap.bindings.filter { $0.scope == .global }.compactMap(\.hint)
            func need(_ h: (String, String)) -> Int { h.0.displayWidth + 1 + h.1.displayWidth + 2 }
            while 1 + hints.reduce(0, { $0 + need($1) }) > keysRight,
                  let drop = hints.lastIndex(where: { !globals.contains($0.1) }) {
                hints.remove(at: drop)
            }
            for (key, label) in hints {
                if x + need((key, label)) > keysRight { break }
                x += grid.put(key, x: x, y: y, style: t[.keyHint])
                x += grid.put(" " + label + "  ", x: x, y: y, style: t[.dim])
            }
        }
        if let (text, style) = message {
            let shown = text.truncated(to: msgWidth, ellipsis: s.symbols.ellipsis)
            grid.put(shown, x: grid.width - shown.displayWidth, y: y, style: style)
        }
    }
}
