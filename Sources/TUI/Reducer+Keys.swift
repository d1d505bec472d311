import Foundation
import Models

extension Reducer {
    static func handleKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        if let id = state.interactive { return interactiveKey(&state, id, key) }
        if key == .control("l") { return [.repaint] }
        if key == .control("z") { return [.suspend] }
        if state.confirm != nil { return confirmKey(&state, key) }
        if state.startForm != nil { return startFormKey(&state, key) }
        if state.prompt != nil { promptKey(&state, key); return [] }
        if state.showHelp { helpKey(&state, key); return [] }
        if Layout.isTooSmall(width: state.width, height: state.height) {
            if key == .character("q") || key == .control("c") { return quit(&state) }
            return []
        }
        switch key {
        case .character("q"), .control("c"): return quit(&state)
        case .character("?"): state.showHelp = true; state.helpTop = 0; return []
        case .character("1"): state.screen = .instances; state.focus = .list; return []
        case .character("2"): state.screen = .images; return []
        default: break
        }
        switch state.screen {
        case .instances:
            if state.focus == .console && Layout.of(state).hasConsole {
                if consoleKey(&state, key) { return [] }
            }
            return instancesKey(&state, key)
        case .console:
            if consoleKey(&state, key) { return [] }
            if key == .escape || key == .character("h") || key == .left {
                state.screen = .instances; return []
            }
            return instanceActionKey(&state, key)
        case .images: return imagesKey(&state, key)
        case .details: detailsKey(&state, key); return []
        }
    }

    static func quit(_ state: inout AppState) -> [Effect] {
        state.quitting = true
        return [.quit]
    }

    /// Keys while typing into a guest: everything goes to the guest except Ctrl-].
    static func interactiveKey(_ state: inout AppState, _ id: InstanceID, _ key: Key) -> [Effect] {
        if key == .control("]") {
            state.interactive = nil
            state.screen = state.previousScreen
            setMessage(&state, "left interactive console of \(id.name) (it keeps running)", error: false)
            return []
        }
        let bytes = KeyEncoding.bytes(for: key)
        if bytes.isEmpty { return [] }
        if state.consoles[id] != nil { state.consoles[id]?.follow = true }
        return [.sendInput(id, bytes)]
    }

    static func confirmKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        guard let dialog = state.confirm else { return [] }
        switch key {
        case .character("y"), .character("Y"):
            state.confirm = nil
            return [dialog.effect]
        case .character("n"), .character("N"), .escape, .character("q"):
            state.confirm = nil
            setMessage(&state, "cancelled", error: false)
            return []
        default:
            return []
        }
    }

    static func helpKey(_ state: inout AppState, _ key: Key) {
        switch key {
        case .escape, .character("?"), .character("q"), .enter: state.showHelp = false
        case .character("j"), .down: state.helpTop += 1
        case .character("k"), .up: state.helpTop = max(0, state.helpTop - 1)
        case .pageDown, .control("f"), .character(" "): state.helpTop += max(1, state.height - 4)
        case .pageUp, .control("b"): state.helpTop = max(0, state.helpTop - max(1, state.height - 4))
        case .character("g"), .home: state.helpTop = 0
        default: break
        }
        state.helpTop = min(state.helpTop, max(0, KeyBindings.helpLines(state.symbols).count - 1))
    }

    /// Filter and search prompts: typing edits, Enter keeps, Esc restores the previous value.
    static func promptKey(_ state: inout AppState, _ key: Key) {
        guard var p = state.prompt else { return }
        switch key {
        case .enter:
            state.prompt = nil
            if p.kind == .search { jumpToMatch(&state, forward: false, fromEnd: true) }
            return
        case .escape:
            p.text = p.original
            state.prompt = nil
            applyPrompt(&state, p)
            return
        case .backspace, .control("h"):
            if p.text.isEmpty { state.prompt = nil; applyPrompt(&state, p); return }
            p.text.removeLast()
        case .control("u"): p.text = ""
        case .character(let c):
            guard p.text.count < 200, c.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return }
            p.text.append(c)
        default: return
        }
        state.prompt = p
        applyPrompt(&state, p)
    }

    static func applyPrompt(_ state: inout AppState, _ p: Prompt) {
        switch p.kind {
        case .filter:
            if state.screen == .images {
                state.imageFilter = p.text; recomputeImageRows(&state)
            } else {
                state.instanceFilter = p.text; recomputeRows(&state)
            }
        case .search:
            guard let id = state.consoleInstanceID, state.consoles[id] != nil else { return }
            state.consoles[id]?.search = p.text
            state.consoles[id]?.buffer.setQuery(p.text)
            state.consoles[id]?.currentMatch = nil
        }
    }

    static func instancesKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        let page = max(1, Layout.of(state).tableRows - 1)
        switch key {
        case .character("j"), .down: moveCursor(&state, to: state.cursor + 1)
        case .character("k"), .up: moveCursor(&state, to: state.cursor - 1)
        case .pageDown, .control("f"): moveCursor(&state, to: state.cursor + page)
        case .pageUp, .control("b"): moveCursor(&state, to: state.cursor - page)
        case .character("g"), .home: moveCursor(&state, to: 0)
        case .character("G"), .end: moveCursor(&state, to: state.rows.count - 1)
        case .tab, .backTab:
            if state.focus == .list && Layout.of(state).hasConsole { state.focus = .console } else { state.focus = .list }
        case .character("/"):
            state.prompt = Prompt(kind: .filter, text: state.instanceFilter, original: state.instanceFilter)
        case .escape:
            if state.focus == .console { state.focus = .list } else if !state.instanceFilter.isEmpty {
                state.instanceFilter = ""; recomputeRows(&state)
            }
        case .character("<"): cycleSort(&state, by: -1)
        case .character(">"): cycleSort(&state, by: 1)
        case .character("I"):
            state.sortAscending.toggle(); recomputeRows(&state)
            setMessage(&state, "sorted by \(state.sortColumn.title) \(state.sortAscending ? "ascending" : "descending")", error: false)
        case .character("w"), .character("f"), .character("n"), .character("N"):
            _ = consoleKey(&state, key)
        default:
            return instanceActionKey(&state, key)
        }
        return []
    }

    /// Keys that act on the selected instance (any screen showing one).
    static func instanceActionKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        if key == .character("s") { return startFromInstance(&state) }
        guard let inst = state.selectedInstance else {
            switch key {
            case .enter, .character("l"), .character("a"), .character("i"), .character("S"), .character("K"),
                 .character("p"), .character("r"), .character("d"):
                setMessage(&state, "no instance selected", error: true)
            default: break
            }
            return []
        }
        let id = inst.id
        func refuse(_ action: String) -> [Effect] {
            setMessage(&state, UnitopError.readonly(action: action).description, error: true); return []
        }
        func invalid(_ action: String) -> [Effect] {
            setMessage(&state, UnitopError.invalidState(name: inst.name, state: inst.state, action: action).description, error: true)
            return []
        }
        switch key {
        case .enter, .character("l"):
            state.previousScreen = state.screen == .console ? .instances : state.screen
            state.screen = .console
        case .character("i"):
            state.previousScreen = state.screen == .details ? .instances : state.screen
            state.screen = .details; state.detailsTop = 0
        case .character("a"):
            if state.readonly { return refuse("attach") }
            guard inst.state.isActive else { return invalid("attach to") }
            state.previousScreen = state.screen  // Ctrl-] returns here
            state.interactive = id
            state.screen = .console
            if state.consoles[id] != nil { state.consoles[id]?.follow = true }
        case .character("S"):
            if state.readonly { return refuse("stop") }
            guard inst.state.isActive else { return invalid("stop") }
            state.confirm = ConfirmDialog(
                title: "Stop", question: "Stop \(inst.name)? (ACPI powerdown, forced after \(Int(state.stopTimeoutSeconds))s)",
                effect: .stop(id, timeoutSeconds: state.stopTimeoutSeconds))
        case .character("K"):
            if state.readonly { return refuse("kill") }
            guard inst.state.isActive else { return invalid("kill") }
            state.confirm = ConfirmDialog(title: "Kill", question: "Kill \(inst.name) immediately?", effect: .kill(id))
        case .character("d"):
            if state.readonly { return refuse("remove") }
            let force = !inst.state.isFinished
            state.confirm = ConfirmDialog(
                title: "Remove",
                question: force ? "\(inst.name) is \(inst.state.rawValue): kill and remove it?" : "Remove \(inst.name) and its console log?",
                effect: .remove(id, force: force))
        case .character("p"):
            if state.readonly { return refuse("pause") }
            switch inst.state {
            case .running: setMessage(&state, "pausing \(inst.name)…", error: false); return [.pause(id)]
            case .paused: setMessage(&state, "resuming \(inst.name)…", error: false); return [.resume(id)]
            default: return invalid("pause")
            }
        case .character("r"):
            if state.readonly { return refuse("restart") }
            guard inst.state == .running || inst.state == .paused else { return invalid("restart") }
            setMessage(&state, "restarting \(inst.name)…", error: false)
            return [.restart(id)]
        default: break
        }
        return []
    }

    static func imagesKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        let page = max(1, Layout.of(state).tableRows - 1)
        switch key {
        case .character("j"), .down: moveImageCursor(&state, to: state.imageCursor + 1)
        case .character("k"), .up: moveImageCursor(&state, to: state.imageCursor - 1)
        case .pageDown, .control("f"): moveImageCursor(&state, to: state.imageCursor + page)
        case .pageUp, .control("b"): moveImageCursor(&state, to: state.imageCursor - page)
        case .character("g"), .home: moveImageCursor(&state, to: 0)
        case .character("G"), .end: moveImageCursor(&state, to: state.imageRows.count - 1)
        case .character("/"): state.prompt = Prompt(kind: .filter, text: state.imageFilter, original: state.imageFilter)
        case .escape:
            if !state.imageFilter.isEmpty { state.imageFilter = ""; recomputeImageRows(&state) } else { state.screen = .instances }
        case .character("R"), .control("r"):
            state.imagesLoading = true
            return [.loadImages]
        case .character("s"), .enter: return startFromImage(&state)
        case .tab: state.screen = .instances
        default: break
        }
        return []
    }

    static func detailsKey(_ state: inout AppState, _ key: Key) {
        switch key {
        case .escape, .character("i"), .character("h"), .left: state.screen = state.previousScreen == .details ? .instances : state.previousScreen
        case .character("j"), .down: state.detailsTop += 1
        case .character("k"), .up: state.detailsTop = max(0, state.detailsTop - 1)
        case .pageDown, .control("f"), .character(" "): state.detailsTop += max(1, state.height - 4)
        case .pageUp, .control("b"): state.detailsTop = max(0, state.detailsTop - max(1, state.height - 4))
        case .character("g"), .home: state.detailsTop = 0
        default: break
        }
    }

    static func handleMouse(_ state: inout AppState, _ m: MouseEvent) -> [Effect] {
        guard state.interactive == nil, state.confirm == nil, state.startForm == nil, !state.showHelp else { return [] }
        let layout = Layout.of(state)
        let inConsole = layout.hasConsole && m.y >= layout.consoleTitleY
        switch m.kind {
        case .wheelUp, .wheelDown:
            let up = m.kind == .wheelUp
            if inConsole { scrollConsole(&state, by: up ? -3 : 3) } else if state.screen == .instances {
                moveCursor(&state, to: state.cursor + (up ? -1 : 1))
            } else if state.screen == .images {
                moveImageCursor(&state, to: state.imageCursor + (up ? -1 : 1))
            }
        case .press:
            if m.y == 1 && state.screen != .console {
                state.screen = m.x < 16 ? .instances : .images
            } else if inConsole {
                state.focus = .console
            } else if m.y > layout.tableY && m.y < layout.tableY + layout.tableHeight {
                let row = m.y - layout.tableY - 1
                if state.screen == .instances {
                    state.focus = .list; moveCursor(&state, to: state.listTop + row)
                } else if state.screen == .images {
                    moveImageCursor(&state, to: state.imageTop + row)
                }
            }
        }
        return []
    }
}
