import Foundation
import Models

/// The one place state changes. Pure: no I/O, no clock reads (time comes in `.tick` and in
/// `state.now`); returns the effects for the runtime to run.
public func reduce(_ state: inout AppState, _ action: Action) -> [Effect] {
    var effects: [Effect] = []
    var visible = true
    switch action {
    case .key(let key):
        effects = Reducer.handleKey(&state, key)
    case .mouse(let m):
        effects = Reducer.handleMouse(&state, m)
    case .resize(let w, let h):
        state.width = max(0, w); state.height = max(0, h)
        Reducer.ensureListVisible(&state)
    case .backendEvent(let event):
        visible = Reducer.apply(&state, event, effects: &effects)
    case .instancesLoaded(let backend, let list):
        state.instancesLoaded.insert(backend)
        let listed = Set(list.map(\.id))
        for id in state.instances.keys where id.backend == backend.kind && id.host == backend.host && !listed.contains(id) {
            state.instances[id] = nil
            state.stats[id] = nil
            Reducer.closeConsole(&state, id, effects: &effects)
        }
        for inst in list { state.instances[inst.id] = inst }
        Reducer.recomputeRows(&state)
    case .imagesLoaded(let images):
        state.images = images + state.images.filter { $0.host != nil }
        state.imagesLoading = false
        Reducer.recomputeImageRows(&state)
    case .hostImagesLoaded(let host, let images):
        state.images = state.images.filter { $0.host != host } + images.map { var i = $0; i.host = host; return i }
        Reducer.recomputeImageRows(&state)
    case .consoleData(let id, let bytes):
        guard state.consoles[id] != nil else { return [] }
        state.consoles[id]?.buffer.append(bytes)
        visible = state.consoleInstanceID == id && Reducer.consoleVisible(state)
    case .consoleEnded(let id, let error):
        guard state.consoles[id] != nil else { return [] }
        state.consoles[id]?.ended = true
        if let error, state.instances[id]?.state.isActive == true {
            Reducer.setMessage(&state, "console of \(id.name): \(error)", error: true)
        }
    case .actionFailed(let text):
        Reducer.setMessage(&state, text, error: true)
    case .actionSucceeded(let text):
        Reducer.setMessage(&state, text, error: false)
    case .tick(let now):
        state.now = now
        state.tick &+= 1
    }
    effects += Reducer.syncConsoles(&state)
    if visible { state.revision &+= 1 }
    return effects
}

/// Reducer helpers, split by concern across files.
enum Reducer {
    static func setMessage(_ state: inout AppState, _ text: String, error: Bool) {
        state.status = StatusMessage(text: text, isError: error, time: state.now)
    }

    static func consoleVisible(_ state: AppState) -> Bool {
        if state.showHelp && state.screen != .console { return false }
        switch state.screen {
        case .console: return true
        case .instances: return Layout.of(state).hasConsole
        default: return false
        }
    }

    /// Applies a backend event; returns whether anything visible changed.
    static func apply(_ state: inout AppState, _ event: BackendEvent, effects: inout [Effect]) -> Bool {
        switch event {
        case .instanceChanged(let inst):
            let old = state.instances[inst.id]
            state.instances[inst.id] = inst
            if let old, !old.state.isActive, inst.state.isActive, state.consoles[inst.id]?.ended == true {
                // Started again under the same name: a fresh console stream.
                closeConsole(&state, inst.id, effects: &effects)
            }
            if inst.state.isFinished, state.interactive == inst.id {
                state.interactive = nil
                setMessage(&state, "\(inst.name) \(inst.state.rawValue): left interactive console", error: false)
            }
            recomputeRows(&state)
            return true
        case .instanceRemoved(let id):
            state.instances[id] = nil
            state.stats[id] = nil
            if state.interactive == id { state.interactive = nil; state.screen = state.previousScreen }
            closeConsole(&state, id, effects: &effects)
            recomputeRows(&state)
            return true
        case .statsBatch(let batch):
            return applyStats(&state, batch)
        case .connection(let backend, let host, let status):
            let ref = BackendRef(kind: backend, host: host)
            if !state.backends.contains(ref) { state.backends.append(ref) }
            state.connections[ref] = status
            return true
        case .hostLatency(let backend, let host, let ms):
            let ref = BackendRef(kind: backend, host: host)
            let old = state.latencies[ref]
            state.latencies[ref] = ms
            // Redraw only when the shown figure changes.
            return old.map(Formatting.millis) != Formatting.millis(ms)
        }
    }

    static func closeConsole(_ state: inout AppState, _ id: InstanceID, effects: inout [Effect]) {
        if state.consoles.removeValue(forKey: id) != nil { effects.append(.closeConsole(id)) }
        state.openConsoles.removeAll { $0 == id }
    }

    /// Opens the console of the instance being looked at, and closes the least recently viewed
    /// ones beyond ``AppState/maxOpenConsoles``.
    static func syncConsoles(_ state: inout AppState) -> [Effect] {
        var effects: [Effect] = []
        guard let id = state.consoleInstanceID, state.instances[id] != nil,
              state.screen == .console || state.screen == .instances else { return [] }
        if state.consoles[id] == nil {
            var view = ConsoleViewState(capacity: state.scrollbackLines)
            view.buffer.setQuery(nil)
            state.consoles[id] = view
            let bytes = min(8 << 20, max(64 << 10, state.scrollbackLines * 160))
            effects.append(.openConsole(id, history: .tail(bytes: bytes)))
        }
        if state.openConsoles.last != id {
            state.openConsoles.removeAll { $0 == id }
            state.openConsoles.append(id)
        }
        while state.openConsoles.count > AppState.maxOpenConsoles {
            let victim = state.openConsoles.removeFirst()
            if victim == state.interactive { state.openConsoles.append(victim); continue }
            if state.consoles.removeValue(forKey: victim) != nil { effects.append(.closeConsole(victim)) }
        }
        return effects
    }
}
