/// The parts of the screen a theme gives a style to. The raw value is the key in theme files.
public enum ThemeRole: String, CaseIterable, Sendable {
    case header, headerTitle, tabActive, tabInactive, tableHeader, selection, selectionUnfocused
    case stateRunning, statePaused, stateStopping, stateExited, stateCrashed, stateOther
    case consoleBackground, consoleText, consoleTitle, border, dim, error, message
    case searchMatch, currentMatch, inputMark, sparkline, dialog, dialogTitle, keyHint
    case connectionUp, connectionDown, filter

    /// Position in ``Theme``'s style table.
    var index: Int { Self.indexes[self] ?? 0 }
    private static let indexes: [ThemeRole: Int] = Dictionary(
        uniqueKeysWithValues: ThemeRole.allCases.enumerated().map { ($1, $0) })
}

/// Styles for every ``ThemeRole``; themes are loaded by ``ThemeLoader``.
public struct Theme: Sendable, Equatable {
    public var name: String
    private var styles: [Style]

    /// A theme with every role `.plain`.
    public init(name: String) {
        self.name = name
        self.styles = Array(repeating: .plain, count: ThemeRole.allCases.count)
    }

    public subscript(role: ThemeRole) -> Style {
        get { styles[role.index] }
        set { styles[role.index] = newValue }
    }

    /// The compiled-in dark default (same as the shipped `themes/default.toml`).
    public static let `default`: Theme = {
        (try? ThemeLoader.parse(BuiltinThemes.defaultTOML, file: "<builtin default>", base: nil))
            ?? Theme.fallbackMono
    }()

    /// The compiled-in monochrome theme: attributes only, used for NO_COLOR and 0-colour terminals.
    public static let mono: Theme = {
        (try? ThemeLoader.parse(BuiltinThemes.monoTOML, file: "<builtin mono>", base: nil))
            ?? Theme.fallbackMono
    }()

    /// Used only if the embedded themes themselves failed to parse (they are tested not to).
    static var fallbackMono: Theme {
        var t = Theme(name: "mono")
        t[.selection] = Style(attributes: .reverse)
        t[.header] = Style(attributes: .bold)
        t[.tableHeader] = Style(attributes: .bold)
        t[.tabActive] = Style(attributes: [.bold, .reverse])
        t[.searchMatch] = Style(attributes: .reverse)
        t[.inputMark] = Style(attributes: [.bold, .reverse])
        t[.error] = Style(attributes: .bold)
        return t
    }
}
