/// `?`: every key, in a box over the current screen.
enum HelpView {
    static func draw(_ grid: inout Grid, _ s: AppState) {
        let t = s.theme
        let lines = KeyMap.helpLines(readonly: s.readonly)
        let w = min(grid.width - 2, 84)
        let h = min(grid.height - 2, lines.count + 3)
        let x = (grid.width - w) / 2, y = max(0, (grid.height - h) / 2)
        let title = s.readonly ? "Keys (read-only: actions disabled)" : "Keys"
        let inner = Renderer.drawBox(&grid, s, x: x, y: y, width: w, height: h, title: title, style: t[.dialog], titleStyle: t[.dialogTitle])
        let top = min(s.helpTop, max(0, lines.count - (inner.height - 1)))
        for r in 0..<max(0, inner.height - 1) {
            guard top + r < lines.count else { break }
            let line = lines[top + r]
            let isTitle = !line.hasPrefix(" ") && !line.isEmpty
            grid.put(line, x: inner.x, y: inner.y + r, style: isTitle ? t[.dialogTitle] : t[.dialog], maxWidth: inner.width)
        }
        let more = top + inner.height - 1 < lines.count ? "j/k scroll · " : ""
        grid.put(more + "Esc closes", x: inner.x, y: inner.y + inner.height - 1, style: t[.dialog], maxWidth: inner.width)
    }
}
