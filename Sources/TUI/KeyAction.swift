/// What a key does. The same action means the same thing in every ``KeyScope`` it is bound in
/// (`down` moves the list cursor, scrolls the console, the details or the help), so the reducer
/// reads it with the scope. ``KeyMap`` says which keys trigger which action where.
public enum KeyAction: String, Sendable, CaseIterable {
    // Everywhere
    case quit, help, showInstances, showImages, redraw, suspend
    // Moving and scrolling (lists, console, details, help)
    case down, up, pageDown, pageUp, halfPageDown, halfPageUp, first, last, back
    // Lists
    case filter, sortPrevious, sortNext, invertSort, switchPane, cycleHost
    // The selected instance
    case openConsole, details, attach, start, stop, kill, pauseResume, restart, remove
    // Console
    case follow, search, nextMatch, previousMatch, wrap
    // Images
    case rescan
    // Start form, prompts and dialogs
    case nextField, previousField, choosePrevious, chooseNext, submit, cancel, deleteBackward, clearField, confirm
    // Attached console
    case detach

    /// The verb of the read-only refusal (`read-only mode: 'stop' is disabled`) for actions that
    /// change an instance; nil for the others.
    public var readonlyVerb: String? {
        switch self {
        case .attach: return "attach"
        case .start: return "start"
        case .stop: return "stop"
        case .kill: return "kill"
        case .pauseResume: return "pause"
        case .restart: return "restart"
        case .remove: return "remove"
        default: return nil
        }
    }

    /// Changes an instance: `--readonly` refuses it and hides its hint.
    public var changesInstance: Bool { readonlyVerb != nil }
}

/// Where a binding applies: one section of the help screen each, in this order.
public enum KeyScope: String, Sendable, CaseIterable {
    case global = "Everywhere"
    case instance = "Instances (list and full-screen console)"
    case list = "Lists (instances, images)"
    case console = "Console (pane with the keyboard, full screen)"
    case images = "Images"
    case details = "Details"
    case startForm = "Start form"
    case prompt = "Filter and search prompts"
    case dialog = "Dialogs"
    case help = "This help"
    case attached = "Attached console"
}

extension Key {
    /// The key as the help screen and status bar write it: ``displayName`` with `Space` and
    /// `Shift-Tab` spelled out.
    public var helpName: String {
        switch self {
        case .character(" "): return "Space"
        case .backTab: return "Shift-Tab"
        default: return displayName
        }
    }
}
