/// The confirmation dialog, centred over the screen (the start form is ``StartFormView``).
enum DialogView {
    static func drawConfirm(_ grid: inout Grid, _ s: AppState, _ d: ConfirmDialog) {
        let t = s.theme
        let w = min(grid.width - 2, max(36, d.question.displayWidth + 6))
        let h = 5
        let x = (grid.width - w) / 2, y = max(0, (grid.height - h) / 2)
        let inner = Renderer.drawBox(&grid, s, x: x, y: y, width: w, height: h, title: d.title, style: t[.dialog], titleStyle: t[.dialogTitle])
        grid.put(d.question.truncated(to: inner.width, ellipsis: s.symbols.ellipsis), x: inner.x, y: inner.y, style: t[.dialog])
        var cx = inner.x
        cx += grid.put("y", x: cx, y: inner.y + 2, style: t[.dialogTitle])
        cx += grid.put(" yes    ", x: cx, y: inner.y + 2, style: t[.dialog])
        cx += grid.put("n", x: cx, y: inner.y + 2, style: t[.dialogTitle])
        grid.put(" / Esc no", x: cx, y: inner.y + 2, style: t[.dialog])
    }
}
