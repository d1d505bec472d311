import Foundation
import Models

extension Reducer {
    /// Dispatches a key through ``KeyMap``: the binding it triggers here, refused when read-only
    /// and it changes an instance; unbound keys type into a form or prompt, or go to the guest.
    static func handleKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        guard let binding = KeyMap.binding(for: key, in: state) else { return unboundKey(&state, key) }
        if state.readonly, let verb = binding.action.readonlyVerb {
            setMessage(&state, UnitopError.readonly(action: verb).description, error: true)
            return []
        }
        let action = binding.action
        switch binding.scope {
        case .global: return globalAction(&state, action)
        case .list: return listAction(&state, action)
        case .instance: return instanceAction(&state, action)
        case .console: consoleAction(&state, action); return []
        case .images: return imagesAction(&state, action)
        case .details: detailsAction(&state, action); return []
        case .startForm: return startFormAction(&state, action)
        case .prompt: promptAction(&state, action); return []
        case .dialog: return confirmAction(&state, action)
        case .help: helpAction(&state, action); return []
        case .attached: return detach(&state)
        }
    }

    /// Keys no binding takes: every key of an attached console goes to the guest; printable
    /// characters edit the start form or the prompt.
    static func unboundKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        if let id = state.interactive {
            let bytes = KeyEncoding.bytes(for: key)
            if bytes.isEmpty { return [] }
            if state.consoles[id] != nil { state.consoles[id]?.follow = true }
            return [.sendInput(id, bytes)]
        }
        guard case .character(let c) = key, c.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return [] }
        if state.startForm != nil {
            editStartForm(&state) { if $0.count < StartForm.maxFieldLength { $0.append(c) } }
        } else if var p = state.prompt, p.text.count < 200 {
            p.text.append(c)
            state.prompt = p
            applyPrompt(&state, p)
        }
        return []
    }

    static func globalAction(_ state: inout AppState, _ action: KeyAction) -> [Effect] {
        switch action {
        case .quit: return quit(&state)
        case .help: state.showHelp = true; state.helpTop = 0
        case .showInstances: state.screen = .instances; state.focus = .list
        case .showImages: state.screen = .images
        case .redraw: return [.repaint]
        case .suspend: return [.suspend]
        default: break
        }
        return []
    }

    static func quit(_ state: inout AppState) -> [Effect] {
        state.quitting = true
        return [.quit]
    }

    /// Ctrl-] in an attached console: back to the screen it was opened from.
    static func detach(_ state: inout AppState) -> [Effect] {
        guard let id = state.interactive else { return [] }
        state.interactive = nil
        state.screen = state.previousScreen
        setMessage(&state, "left interactive console of \(id.name) (it keeps running)", error: false)
        return []
    }

    static func confirmAction(_ state: inout AppState, _ action: KeyAction) -> [Effect] {
        guard let dialog = state.confirm else { return [] }
        state.confirm = nil
        if action == .confirm { return [dialog.effect] }
        setMessage(&state, "cancelled", error: false)
        return []
    }

    static func helpAction(_ state: inout AppState, _ action: KeyAction) {
        let page = max(1, state.height - 4)
        switch action {
        case .back: state.showHelp = false
        case .down: state.helpTop += 1
        case .up: state.helpTop = max(0, state.helpTop - 1)
        case .pageDown: state.helpTop += page
        case .pageUp: state.helpTop = max(0, state.helpTop - page)
        case .first: state.helpTop = 0
        default: break
        }
        state.helpTop = min(state.helpTop, max(0, KeyMap.helpLines(readonly: state.readonly).count - 1))
    }

    /// Filter and search prompts: typing edits, Enter keeps, Esc restores the previous value.
    static func promptAction(_ state: inout AppState, _ action: KeyAction) {
        guard var p = state.prompt else { return }
        switch action {
        case .submit:
            state.prompt = nil
            if p.kind == .search { jumpToMatch(&state, forward: false, fromEnd: true) }
            return
        case .cancel:
            p.text = p.original
            state.prompt = nil
            applyPrompt(&state, p)
            return
        case .deleteBackward:
            if p.text.isEmpty { state.prompt = nil; applyPrompt(&state, p); return }
            p.text.removeLast()
        case .clearField: p.text = ""
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

    /// List keys on the instances or the images screen.
    static func listAction(_ state: inout AppState, _ action: KeyAction) -> [Effect] {
        let page = max(1, Layout.of(state).tableRows - 1)
        let images = state.screen == .images
        let cursor = images ? state.imageCursor : state.cursor
        let count = images ? state.imageRows.count : state.rows.count
        func move(_ to: Int) { if images { moveImageCursor(&state, to: to) } else { moveCursor(&state, to: to) } }
        switch action {
        case .down: move(cursor + 1)
        case .up: move(cursor - 1)
        case .pageDown: move(cursor + page)
        case .pageUp: move(cursor - page)
        case .first: move(0)
        case .last: move(count - 1)
        case .filter:
            let current = images ? state.imageFilter : state.instanceFilter
            state.prompt = Prompt(kind: .filter, text: current, original: current)
        case .switchPane:
            if images { state.screen = .instances }
            else if state.focus == .list && Layout.of(state).hasConsole { state.focus = .console } else { state.focus = .list }
        case .back:
            if images {
                if !state.imageFilter.isEmpty { state.imageFilter = ""; recomputeImageRows(&state) } else { state.screen = .instances }
            } else if state.focus == .console { state.focus = .list } else if !state.instanceFilter.isEmpty {
                state.instanceFilter = ""; recomputeRows(&state)
            }
        case .cycleHost: cycleHost(&state)
        case .sortPrevious where !images: cycleSort(&state, by: -1)
        case .sortNext where !images: cycleSort(&state, by: 1)
        case .invertSort where !images:
            state.sortAscending.toggle(); recomputeRows(&state)
            setMessage(&state, "sorted by \(state.sortColumn.title) \(state.sortAscending ? "ascending" : "descending")", error: false)
        default: break
        }
        return []
    }

    /// Actions on the selected instance (any screen showing one); read-only was checked by the caller.
    static func instanceAction(_ state: inout AppState, _ action: KeyAction) -> [Effect] {
        if action == .start { return startFromInstance(&state) }
        guard let inst = state.selectedInstance else {
            setMessage(&state, "no instance selected", error: true)
            return []
        }
        let id = inst.id
        func invalid(_ verb: String) -> [Effect] {
            setMessage(&state, UnitopError.invalidState(name: inst.name, state: inst.state, action: verb).description, error: true)
            return []
        }
        switch action {
        case .openConsole:
            state.previousScreen = state.screen == .console ? .instances : state.screen
            state.screen = .console
        case .details:
            state.previousScreen = state.screen == .details ? .instances : state.screen
            state.screen = .details; state.detailsTop = 0
        case .attach:
            guard inst.state.isActive else { return invalid("attach to") }
            state.previousScreen = state.screen  // Ctrl-] returns here
            state.interactive = id
            state.screen = .console
            if state.consoles[id] != nil { state.consoles[id]?.follow = true }
        case .stop:
            guard inst.state.isActive else { return invalid("stop") }
            state.confirm = ConfirmDialog(
                title: "Stop", question: "Stop \(inst.name)? (ACPI powerdown, forced after \(Int(state.stopTimeoutSeconds))s)",
                effect: .stop(id, timeoutSeconds: state.stopTimeoutSeconds))
        case .kill:
            guard inst.state.isActive else { return invalid("kill") }
            state.confirm = ConfirmDialog(title: "Kill", question: "Kill \(inst.name) immediately?", effect: .kill(id))
        case .remove:
            let force = !inst.state.isFinished
            state.confirm = ConfirmDialog(
                title: "Remove",
                question: force ? "\(inst.name) is \(inst.state.rawValue): kill and remove it?" : "Remove \(inst.name) and its console log?",
                effect: .remove(id, force: force))
        case .pauseResume:
            switch inst.state {
            case .running: setMessage(&state, "pausing \(inst.name)…", error: false); return [.pause(id)]
            case .paused: setMessage(&state, "resuming \(inst.name)…", error: false); return [.resume(id)]
            default: return invalid("pause")
            }
        case .restart:
            guard inst.state == .running || inst.state == .paused else { return invalid("restart") }
            setMessage(&state, "restarting \(inst.name)…", error: false)
            return [.restart(id)]
        default: break
        }
        return []
    }

    static func imagesAction(_ state: inout AppState, _ action: KeyAction) -> [Effect] {
        switch action {
        case .rescan:
            state.imagesLoading = true
            return [.loadImages]
        case .start: return startFromImage(&state)
        case .details:
            guard state.selectedImage != nil else { setMessage(&state, "no image selected", error: true); return [] }
            state.previousScreen = .images
            state.screen = .details; state.detailsTop = 0
            return []
        default: return []
        }
    }

    static func detailsAction(_ state: inout AppState, _ action: KeyAction) {
        let page = max(1, state.height - 4)
        switch action {
        case .back: state.screen = state.previousScreen == .details ? .instances : state.previousScreen
        case .down: state.detailsTop += 1
        case .up: state.detailsTop = max(0, state.detailsTop - 1)
        case .pageDown: state.detailsTop += page
        case .pageUp: state.detailsTop = max(0, state.detailsTop - page)
        case .first: state.detailsTop = 0
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
