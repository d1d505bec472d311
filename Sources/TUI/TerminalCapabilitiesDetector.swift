/// Decides what the terminal can show, once at start-up, from facts ncurses and the locale report.
public enum TerminalCapabilitiesDetector {
    /// - Parameters:
    ///   - environment: the process environment (`NO_COLOR` set to any value, even empty, turns colour off).
    ///   - hasColors: ncurses `has_colors()`.
    ///   - colorCount: ncurses `COLORS`.
    ///   - codeset: `nl_langinfo(CODESET)` after `setlocale(LC_ALL, "")`.
    public static func detect(environment: [String: String], hasColors: Bool, colorCount: Int, codeset: String) -> TerminalCapabilities {
        TerminalCapabilities(
            colors: colorLevel(environment: environment, hasColors: hasColors, colorCount: colorCount),
            unicode: isUTF8(codeset: codeset)
        )
    }

    /// 256, 16, 8 or 0 (monochrome).
    public static func colorLevel(environment: [String: String], hasColors: Bool, colorCount: Int) -> Int {
        if environment["NO_COLOR"] != nil { return 0 }
        guard hasColors else { return 0 }
        switch colorCount {
        case 256...: return 256
        case 16..<256: return 16
        case 8..<16: return 8
        default: return 0
        }
    }

    /// True for the UTF-8 codeset, however the platform spells it ("UTF-8", "utf8").
    public static func isUTF8(codeset: String) -> Bool {
        let normalized = codeset.lowercased().filter { $0 != "-" && $0 != "_" }
        return normalized == "utf8"
    }
}
