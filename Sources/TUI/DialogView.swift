/// The confirmation dialog and the start form, centred over the screen.
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

    static func drawStartForm(_ grid: inout Grid, _ s: AppState, _ f: StartForm) {
        let t = s.theme
        var rows: [(StartForm.Field, String, String)] = [
            (.name, "Name", f.name), (.memory, "Memory", f.memory), (.cpus, "CPUs", f.cpus), (.append, "Append", f.append),
            (.machine, "Machine", "< \(f.machine) >"),
        ]
        if s.backends.count > 1 {
            let b = s.backends.indices.contains(f.backendIndex) ? s.backends[f.backendIndex].description : "?"
            rows.append((.backend, "Backend", "< \(b) >"))
        }
        let w = min(grid.width - 2, 72)
        let h = min(grid.height, rows.count + 6)
        let x = (grid.width - w) / 2, y = max(0, (grid.height - h) / 2)
        let inner = Renderer.drawBox(&grid, s, x: x, y: y, width: w, height: h, title: "Start \(f.imageName)",
                                     style: t[.dialog], titleStyle: t[.dialogTitle])
        grid.put("image: \(f.imagePath)".truncated(to: inner.width, ellipsis: s.symbols.ellipsis), x: inner.x, y: inner.y, style: t[.dialog])
        let valueX = inner.x + 9
        let valueW = max(1, inner.width - 9)
        for (i, (field, label, value)) in rows.enumerated() {
            let yy = inner.y + 1 + i
            guard yy < inner.y + inner.height else { break }
            let focused = field == f.field
            grid.put(label, x: inner.x, y: yy, style: focused ? t[.dialogTitle] : t[.dialog])
            let shown = focused && field != .backend && field != .machine ? value + "_" : value
            let fit = shown.displayWidth > valueW ? String(shown.suffix(valueW)) : shown
            grid.fill(x: valueX, y: yy, width: valueW, height: 1, style: focused ? t[.selection] : t[.selectionUnfocused])
            grid.put(fit, x: valueX, y: yy, style: focused ? t[.selection] : t[.selectionUnfocused], maxWidth: valueW)
        }
        let footY = inner.y + inner.height - 1
        if let e = f.error {
            grid.put(e.truncated(to: inner.width, ellipsis: s.symbols.ellipsis), x: inner.x, y: footY, style: t[.error])
        } else {
            grid.put("Enter start · Tab next field · Esc cancel".truncated(to: inner.width, ellipsis: s.symbols.ellipsis),
                     x: inner.x, y: footY, style: t[.dialog])
        }
    }
}
