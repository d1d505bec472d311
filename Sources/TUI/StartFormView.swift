import Models

/// The start form, centred over the screen: one row per field (scrolled to the focused one
/// when the terminal is short), the focused field's syntax, then the keys or the error.
enum StartFormView {
    /// Columns before a field's value.
    static let labelWidth = 9

    static func draw(_ grid: inout Grid, _ s: AppState, _ f: StartForm) {
        let t = s.theme
        let fields = StartForm.Field.allCases.filter { $0 != .backend || s.backends.count > 1 }
        let w = min(grid.width - 2, 76)
        let h = min(grid.height, fields.count + 6)
        let x = (grid.width - w) / 2, y = max(0, (grid.height - h) / 2)
        let inner = Renderer.drawBox(&grid, s, x: x, y: y, width: w, height: h, title: "Start \(f.imageName)",
                                     style: t[.dialog], titleStyle: t[.dialogTitle])
        guard inner.height >= 2, inner.width >= 2 else { return }
        let ellipsis = s.symbols.ellipsis
        let kind = f.image.unikraft ? " (Unikraft)" : (f.image.kind == "disk" ? " (\(f.image.format.rawValue) disk)" : "")
        grid.put("image: \(f.imagePath)\(kind)".truncated(to: inner.width, ellipsis: ellipsis), x: inner.x, y: inner.y, style: t[.dialog])
        // Rows between the image line and the footer; the hint line when there is room for it.
        let space = inner.height - 2
        let hasHint = space >= fields.count + 1
        let visible = max(1, hasHint ? min(fields.count, space - 1) : space)
        let focus = fields.firstIndex(of: f.field) ?? 0
        let top = min(max(0, focus - visible + 1), max(0, fields.count - visible))
        let valueX = inner.x + labelWidth
        let valueW = max(1, inner.width - labelWidth)
        for (i, field) in fields[top..<min(fields.count, top + visible)].enumerated() {
            let yy = inner.y + 1 + i
            let focused = field == f.field
            var (label, value, placeholder) = f.row(field)
            if field == .backend {
                value = "< \(s.backends.indices.contains(f.backendIndex) ? s.backends[f.backendIndex].description : "?") >"
            }
            grid.put(label, x: inner.x, y: yy, style: focused ? t[.dialogTitle] : t[.dialog], maxWidth: labelWidth - 1)
            let boxStyle = focused ? t[.selection] : t[.selectionUnfocused]
            grid.fill(x: valueX, y: yy, width: valueW, height: 1, style: boxStyle)
            let editable = f.text(field) != nil
            let shown = focused && editable ? value + "_" : value
            let fit = shown.displayWidth > valueW ? String(shown.suffix(valueW)) : shown
            let used = grid.put(fit, x: valueX, y: yy, style: boxStyle, maxWidth: valueW)
            // An empty field says what empty means.
            if value.isEmpty, !placeholder.isEmpty, used < valueW {
                let meaning = String(placeholder.prefix { $0 != ";" })
                var faint = boxStyle
                faint.attributes.insert(.dim)
                let gap = used > 0 ? 1 : 0
                grid.put(meaning.truncated(to: valueW - used - gap, ellipsis: ellipsis), x: valueX + used + gap, y: yy,
                         style: faint, maxWidth: valueW - used - gap)
            }
        }
        let footY = inner.y + inner.height - 1
        if let e = f.error {
            // The error takes the hint line too when there is one: errors name the syntax they expect.
            var lines = wrap(e, width: inner.width, lines: hasHint ? 2 : 1, ellipsis: ellipsis)
            if lines.count == 1 && hasHint { lines.insert("", at: 0) }
            for (i, line) in lines.enumerated() {
                grid.put(line, x: inner.x, y: footY - lines.count + 1 + i, style: t[.error], maxWidth: inner.width)
            }
            return
        }
        let placeholder = f.row(f.field).placeholder
        if hasHint, !placeholder.isEmpty {
            grid.put(placeholder.truncated(to: inner.width, ellipsis: ellipsis), x: inner.x, y: footY - 1, style: t[.dim])
        }
        grid.put("Enter start · Tab next field · Esc cancel".truncated(to: inner.width, ellipsis: ellipsis),
                 x: inner.x, y: footY, style: t[.dialog])
    }

    /// `text` in at most `lines` lines of `width` columns, the last one cut with the ellipsis.
    static func wrap(_ text: String, width: Int, lines: Int, ellipsis: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty, out.count < lines - 1 {
            var chunk = "", w = 0
            while let ch = rest.first, w + ch.terminalWidth <= width { chunk.append(ch); w += ch.terminalWidth; rest = rest.dropFirst() }
            if chunk.isEmpty { break }
            out.append(chunk)
        }
        if !rest.isEmpty { out.append(String(rest).truncated(to: width, ellipsis: ellipsis)) }
        return out
    }
}
