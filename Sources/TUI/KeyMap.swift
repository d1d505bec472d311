/// One key binding: the keys, what they do, where, and how the help and status bar show it.
public struct KeyBinding: Sendable, Equatable {
    public var keys: [Key]
    public var action: KeyAction
    public var scope: KeyScope
    /// The help screen's description.
    public var help: String
    /// The status bar's label; nil: shown in the help only.
    public var hint: String?
    /// The status bar's key text when not the first key's name (`n/N`, `<>`).
    public var hintKey: String?
    /// Set on the first of two bindings the help shows on one line (`j Down / k Up  move down / up`):
    /// that line's description; the next binding in the table is the other half.
    public var pairHelp: String?

    /// Refused with `--readonly` (and hidden from the status bar).
    public var changesInstance: Bool { action.changesInstance }
}

/// The one key map, as k9s has: the table below drives key dispatch (``Reducer``), the help
/// screen (``HelpView``) and the status-bar hints (``StatusBarView``), so a key documented is
/// a key handled, and `--readonly` refuses and hides the same set of actions everywhere.
public enum KeyMap {
    private static func bind(_ scope: KeyScope, _ keys: [Key], _ action: KeyAction, _ help: String,
                             hint: String? = nil, hintKey: String? = nil, pair: String? = nil) -> KeyBinding {
        KeyBinding(keys: keys, action: action, scope: scope, help: help, hint: hint, hintKey: hintKey, pairHelp: pair)
    }

    private static let ch = Key.character
    private static let ctrl = Key.control

    /// Every binding, in help order.
    public static let bindings: [KeyBinding] = [
        bind(.global, [ch("?")], .help, "this help (Esc closes)", hint: "help"),
        bind(.global, [ch("q"), ctrl("c")], .quit, "quit (instances keep running)", hint: "quit"),
        bind(.global, [ch("1")], .showInstances, "instances", pair: "instances / images"),
        bind(.global, [ch("2")], .showImages, "images"),
        bind(.global, [ctrl("l")], .redraw, "redraw the screen"),
        bind(.global, [ctrl("z")], .suspend, "suspend (fg resumes)"),

        bind(.list, [ch("j"), .down], .down, "move down", pair: "move down / up"),
        bind(.list, [ch("k"), .up], .up, "move up"),
        bind(.list, [.pageDown, ctrl("f")], .pageDown, "page down"),
        bind(.list, [.pageUp, ctrl("b")], .pageUp, "page up"),
        bind(.list, [ch("g"), .home], .first, "first", pair: "first / last"),
        bind(.list, [ch("G"), .end], .last, "last"),
        bind(.list, [ch("/")], .filter, "filter (Enter keeps, Esc clears)", hint: "filter"),
        bind(.list, [ch("<")], .sortPrevious, "instances: sort by the previous column", pair: "instances: sort by the previous / next column"),
        bind(.list, [ch(">")], .sortNext, "instances: sort by the next column", hint: "sort", hintKey: "<>"),
        bind(.list, [ch("I")], .invertSort, "instances: invert the sort order"),
        bind(.list, [ch("H")], .cycleHost, "host filter: each host in turn, then every host", hint: "host"),
        bind(.list, [.tab, .backTab], .switchPane, "switch list / console pane (images: to instances)"),
        bind(.list, [.escape], .back, "clear the filter (images: else back to instances)"),

        bind(.instance, [.enter, ch("l")], .openConsole, "full-screen console", hint: "console"),
        bind(.instance, [ch("i")], .details, "details (ports, volumes, QEMU command line, exit)", hint: "details"),
        bind(.instance, [ch("a")], .attach, "attach: type into the console (Ctrl-] leaves)", hint: "attach"),
        bind(.instance, [ch("s")], .start, "start a new instance like the selected one", hint: "start"),
        bind(.instance, [ch("S")], .stop, "graceful stop (asks)", hint: "stop"),
        bind(.instance, [ch("K")], .kill, "kill (asks)", hint: "kill"),
        bind(.instance, [ch("p")], .pauseResume, "pause / resume", hint: "pause"),
        bind(.instance, [ch("r")], .restart, "restart (reset the guest)", hint: "restart"),
        bind(.instance, [ch("d")], .remove, "remove (asks; kills first if running)", hint: "remove"),

        bind(.console, [ch("/")], .search, "search (smart case)", hint: "search"),
        bind(.console, [ch("n")], .nextMatch, "next match (also from the list)", hint: "match", hintKey: "n/N", pair: "next / previous match (also from the list)"),
        bind(.console, [ch("N")], .previousMatch, "previous match (also from the list)"),
        bind(.console, [ch("f")], .follow, "follow new output on / off (also from the list)", hint: "follow"),
        bind(.console, [ch("w")], .wrap, "wrap long lines on / off (also from the list)", hint: "wrap"),
        bind(.console, [ch("j"), .down], .down, "scroll down", pair: "scroll down / up (up stops following)"),
        bind(.console, [ch("k"), .up], .up, "scroll up (stops following)"),
        bind(.console, [.pageDown, ctrl("f"), ch(" ")], .pageDown, "page down"),
        bind(.console, [.pageUp, ctrl("b")], .pageUp, "page up"),
        bind(.console, [ctrl("d")], .halfPageDown, "half a page down", pair: "half a page down / up"),
        bind(.console, [ctrl("u")], .halfPageUp, "half a page up"),
        bind(.console, [ch("g"), .home], .first, "oldest line kept", pair: "oldest line kept / newest (follow)"),
        bind(.console, [ch("G"), .end], .last, "newest line (follow)"),
        bind(.console, [.escape, ch("h"), .left], .back, "clear the search, else back", hint: "back", hintKey: "Esc"),

        bind(.images, [ch("s"), .enter], .start, "start form (defaults: sidecar, then config)", hint: "start"),
        bind(.images, [ch("i")], .details, "details (kind, Unikraft, disk check, sidecar)", hint: "details"),
        bind(.images, [ch("R"), ctrl("r")], .rescan, "rescan the image directories", hint: "rescan"),

        bind(.details, [ch("j"), .down], .down, "scroll down", hint: "scroll", hintKey: "j/k", pair: "scroll down / up"),
        bind(.details, [ch("k"), .up], .up, "scroll up"),
        bind(.details, [.pageDown, ctrl("f"), ch(" ")], .pageDown, "page down"),
        bind(.details, [.pageUp, ctrl("b")], .pageUp, "page up"),
        bind(.details, [ch("g"), .home], .first, "top"),
        bind(.details, [.escape, ch("i"), ch("h"), .left], .back, "back", hint: "back", hintKey: "Esc"),

        bind(.startForm, [.tab, .down], .nextField, "next field", pair: "next / previous field"),
        bind(.startForm, [.backTab, .up], .previousField, "previous field"),
        bind(.startForm, [.left], .choosePrevious, "Machine, Backend: previous choice", pair: "Machine, Backend: previous / next choice"),
        bind(.startForm, [.right], .chooseNext, "Machine, Backend: next choice"),
        bind(.startForm, [.backspace, ctrl("h")], .deleteBackward, "delete a character (typing edits)"),
        bind(.startForm, [ctrl("u")], .clearField, "clear the field"),
        bind(.startForm, [.enter], .submit, "start", pair: "start / cancel"),
        bind(.startForm, [.escape], .cancel, "cancel"),

        bind(.prompt, [.enter], .submit, "keep (search: jump to the newest match)"),
        bind(.prompt, [.escape], .cancel, "restore the previous text"),
        bind(.prompt, [.backspace, ctrl("h")], .deleteBackward, "delete a character (on empty text: close)"),
        bind(.prompt, [ctrl("u")], .clearField, "clear"),

        bind(.dialog, [ch("y"), ch("Y")], .confirm, "confirm", pair: "confirm / cancel"),
        bind(.dialog, [ch("n"), ch("N"), .escape, ch("q")], .cancel, "cancel"),

        bind(.help, [ch("j"), .down], .down, "scroll down", pair: "scroll down / up"),
        bind(.help, [ch("k"), .up], .up, "scroll up"),
        bind(.help, [.pageDown, ctrl("f"), ch(" ")], .pageDown, "page down"),
        bind(.help, [.pageUp, ctrl("b")], .pageUp, "page up"),
        bind(.help, [ch("g"), .home], .first, "top"),
        bind(.help, [.escape, ch("?"), ch("q"), .enter], .back, "close"),

        bind(.attached, [ctrl("]")], .detach, "leave; the guest keeps running (other keys go to it)"),
    ]

    /// One step of a key lookup: a scope, optionally narrowed to some of its actions.
    struct Lookup: Equatable {
        var scope: KeyScope
        var only: Set<KeyAction>?
        init(_ scope: KeyScope, only: Set<KeyAction>? = nil) { self.scope = scope; self.only = only }
    }

    /// Where keys are looked up in `state`, first match wins.
    static func lookups(_ s: AppState) -> [Lookup] {
        let always = Lookup(.global, only: [.redraw, .suspend])
        if s.interactive != nil { return [Lookup(.attached)] }
        if s.confirm != nil { return [always, Lookup(.dialog)] }
        if s.startForm != nil { return [always, Lookup(.startForm)] }
        if s.prompt != nil { return [always, Lookup(.prompt)] }
        if s.showHelp { return [always, Lookup(.help)] }
        if Layout.isTooSmall(width: s.width, height: s.height) { return [Lookup(.global, only: [.quit, .redraw, .suspend])] }
        switch s.screen {
        case .instances where s.focus == .console && Layout.of(s).hasConsole:
            return [Lookup(.global), Lookup(.console), Lookup(.list), Lookup(.instance)]
        case .instances:
            return [Lookup(.global), Lookup(.list), Lookup(.console, only: [.follow, .wrap, .nextMatch, .previousMatch]),
                    Lookup(.instance)]
        case .console: return [Lookup(.global), Lookup(.console), Lookup(.instance)]
        case .images: return [Lookup(.global), Lookup(.list), Lookup(.images)]
        case .details: return [Lookup(.global), Lookup(.details)]
        }
    }

    /// The binding `key` triggers in `state`; nil when the key is unbound there (typing in a
    /// form or prompt, keys going to an attached guest).
    public static func binding(for key: Key, in state: AppState) -> KeyBinding? {
        for lookup in lookups(state) {
            if let b = bindings.first(where: { $0.scope == lookup.scope && $0.keys.contains(key) && (lookup.only?.contains($0.action) ?? true) }) {
                return b
            }
        }
        return nil
    }

    /// Longest help line that fits the help box (84 columns wide, a border each side).
    static let helpWidth = 82

    /// One line of the help: the keys as written, the description, and the bindings it covers
    /// (two for a pair).
    struct HelpEntry {
        var keys: String
        var text: String
        var bindings: [KeyBinding]
    }

    /// The help's entries per scope, in table order; a pair shares one line.
    static func helpEntries(_ scope: KeyScope) -> [HelpEntry] {
        let inScope = bindings.filter { $0.scope == scope }
        var out: [HelpEntry] = []
        var i = 0
        while i < inScope.count {
            let b = inScope[i]
            let keys = b.keys.map(\.helpName).joined(separator: " ")
            if let pair = b.pairHelp, i + 1 < inScope.count {
                let other = inScope[i + 1]
                out.append(HelpEntry(keys: keys + " / " + other.keys.map(\.helpName).joined(separator: " "), text: pair, bindings: [b, other]))
                i += 2
            } else {
                out.append(HelpEntry(keys: keys, text: b.help, bindings: [b]))
                i += 1
            }
        }
        return out
    }

    /// The help screen's lines: a title per scope, then `keys  description`; actions that change
    /// an instance are marked when read-only.
    static func helpLines(readonly: Bool) -> [String] {
        var out: [String] = []
        for scope in KeyScope.allCases {
            let entries = helpEntries(scope)
            guard !entries.isEmpty else { continue }
            if !out.isEmpty { out.append("") }
            out.append(scope.rawValue)
            for e in entries {
                let off = readonly && e.bindings.contains(where: \.changesInstance)
                out.append("  " + e.keys.padded(to: 24) + " " + e.text + (off ? " (off)" : ""))
            }
        }
        return out
    }

    /// Status bar hints for the current screen, (key, label), from the bindings that work here
    /// (the screen's own first, then the list's, global ones last; the list's console shortcuts are left to the
    /// help); actions that change an instance are left out when read-only.
    static func hints(for state: AppState) -> [(String, String)] {
        let steps = lookups(state).filter { $0.only == nil }
        // The screen's own keys first, then the list's, then the global ones.
        let ordered = steps.filter { $0.scope != .global && $0.scope != .list } + steps.filter { $0.scope == .list }
            + steps.filter { $0.scope == .global }
        var out: [(String, String)] = []
        var seen = Set<KeyAction>()
        for step in ordered {
            for b in bindings where b.scope == step.scope && (step.only?.contains(b.action) ?? true) {
                guard let label = b.hint, !(state.readonly && b.changesInstance), !seen.contains(b.action),
                      let first = b.keys.first else { continue }
                seen.insert(b.action)
                out.append((b.hintKey ?? (first == .enter ? state.symbols.enter : first.helpName), label))
            }
        }
        return out
    }
}
