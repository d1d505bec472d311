import Models

extension Reducer {
    /// Console keys (console pane focused or console screen; `f`, `w`, `n`, `N` also from the list).
    static func consoleAction(_ state: inout AppState, _ action: KeyAction) {
        if action == .back { return consoleBack(&state) }
        guard let id = state.consoleInstanceID else { return }
        let height = max(1, Layout.of(state).consoleHeight)
        switch action {
        case .down: scrollConsole(&state, by: 1)
        case .up: scrollConsole(&state, by: -1)
        case .pageDown: scrollConsole(&state, by: max(1, height - 1))
        case .pageUp: scrollConsole(&state, by: -max(1, height - 1))
        case .halfPageDown: scrollConsole(&state, by: max(1, height / 2))
        case .halfPageUp: scrollConsole(&state, by: -max(1, height / 2))
        case .first:
            guard let c = state.consoles[id] else { return }
            state.consoles[id]?.follow = false
            state.consoles[id]?.topLine = c.buffer.firstLineNumber
        case .last:
            state.consoles[id]?.follow = true
        case .follow:
            guard let c = state.consoles[id] else { return }
            if c.follow {
                state.consoles[id]?.topLine = currentTop(c, height: height)
                state.consoles[id]?.follow = false
            } else {
                state.consoles[id]?.follow = true
            }
            setMessage(&state, c.follow ? "follow off" : "following new output", error: false)
        case .wrap:
            state.wrap.toggle()
            setMessage(&state, state.wrap ? "wrap on" : "wrap off", error: false)
        case .search:
            let current = state.consoles[id]?.search ?? ""
            state.prompt = Prompt(kind: .search, text: current, original: current)
        case .nextMatch: jumpToMatch(&state, forward: true, fromEnd: false)
        case .previousMatch: jumpToMatch(&state, forward: false, fromEnd: false)
        default: break
        }
    }

    /// Esc in the console: clears the search first, then leaves (the full-screen console goes
    /// back to the instances; the pane gives the keyboard back to the list).
    static func consoleBack(_ state: inout AppState) {
        if let id = state.consoleInstanceID, let c = state.consoles[id], !c.search.isEmpty {
            state.consoles[id]?.search = ""
            state.consoles[id]?.buffer.setQuery(nil)
            state.consoles[id]?.currentMatch = nil
        } else if state.screen == .console {
            state.screen = .instances
        } else {
            state.focus = .list
        }
    }

    /// The top line the console view shows now.
    static func currentTop(_ c: ConsoleViewState, height: Int) -> Int {
        let first = c.buffer.firstLineNumber
        if c.follow { return max(first, c.buffer.endLineNumber - height) }
        return max(first, c.topLine)
    }

    /// Scrolls by `delta` lines; scrolling up stops following, reaching the end follows again.
    static func scrollConsole(_ state: inout AppState, by delta: Int) {
        guard let id = state.consoleInstanceID, let c = state.consoles[id] else { return }
        let height = max(1, Layout.of(state).consoleHeight)
        let bottomTop = max(c.buffer.firstLineNumber, c.buffer.endLineNumber - height)
        var top = currentTop(c, height: height) + delta
        top = max(c.buffer.firstLineNumber, top)
        if delta > 0 && top >= bottomTop {
            state.consoles[id]?.follow = true
            state.consoles[id]?.topLine = bottomTop
        } else {
            state.consoles[id]?.follow = false
            state.consoles[id]?.topLine = min(top, bottomTop)
        }
    }

    /// Moves to the next (`forward`) or previous match and scrolls it into the middle of the view.
    /// With `fromEnd`, finds the newest match (when following) or the first one from the top of the view.
    static func jumpToMatch(_ state: inout AppState, forward: Bool, fromEnd: Bool) {
        guard let id = state.consoleInstanceID, let c = state.consoles[id] else { return }
        guard let query = c.buffer.query else {
            setMessage(&state, "no search: press / to search the console", error: true); return
        }
        let height = max(1, Layout.of(state).consoleHeight)
        let first = c.buffer.firstLineNumber, end = c.buffer.endLineNumber
        guard end > first else { return }
        let total = end - first
        var start: Int
        var fwd = forward
        if fromEnd {
            if c.follow { start = end - 1; fwd = false } else { start = currentTop(c, height: height); fwd = true }
        } else if let m = c.currentMatch, m >= first, m < end {
            start = m + (forward ? 1 : -1)
        } else {
            start = currentTop(c, height: height) + (forward ? 0 : height - 1)
        }
        var found: Int?
        for step in 0..<total {
            var n = start + (fwd ? step : -step)
            n = first + ((n - first) % total + total) % total
            if c.buffer.line(n)?.matches(query) == true { found = n; break }
        }
        guard let match = found else {
            setMessage(&state, "pattern not found: \(c.search)", error: true); return
        }
        state.consoles[id]?.currentMatch = match
        state.consoles[id]?.follow = false
        let bottomTop = max(first, end - height)
        state.consoles[id]?.topLine = min(bottomTop, max(first, match - height / 2))
    }
}
