import Foundation

/// Chooses the theme at start-up: `--theme`, else `UNITOP_THEME`, else `config.theme`, else `default`;
/// NO_COLOR or a terminal without colours always gives `mono`.
public enum ThemeSelection {
    /// The result: a theme, and a message for the status bar when the requested one could not be used.
    public struct Result: Sendable {
        public var theme: Theme
        public var warning: String?
    }

    /// - Parameters:
    ///   - userDirectory: the user's themes directory (overrides shipped themes of the same name).
    ///   - shippedDirectories: where shipped themes are (see ``shippedDirectories(executablePath:)``).
    public static func select(
        cli: String?, environment: [String: String], configTheme: String?, colors: Int,
        userDirectory: String, shippedDirectories: [String]
    ) -> Result {
        if environment["NO_COLOR"].map({ !$0.isEmpty }) ?? false || colors == 0 {
            return Result(theme: .mono, warning: nil)
        }
        let requested = [cli, environment["UNITOP_THEME"], configTheme]
            .compactMap { $0?.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty } ?? "default"
        do {
            return Result(theme: try load(named: requested, userDirectory: userDirectory, shippedDirectories: shippedDirectories), warning: nil)
        } catch {
            return Result(theme: .default, warning: "\(error.description); using the default theme")
        }
    }

    /// Finds and loads a theme by name (user directory first, then shipped) or by path.
    public static func load(named name: String, userDirectory: String, shippedDirectories: [String]) throws(ThemeError) -> Theme {
        if name.contains("/") || name.hasSuffix(".toml") {
            return try ThemeLoader.load(path: name)
        }
        guard name.utf8.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ThemeError(file: name, line: nil, message: "invalid theme name")
        }
        for dir in [userDirectory] + shippedDirectories {
            let path = dir + "/" + name + ".toml"
            if FileManager.default.fileExists(atPath: path) { return try ThemeLoader.load(path: path) }
        }
        if name == "default" { return .default }
        if name == "mono" { return .mono }
        throw ThemeError(file: name, line: nil, message: "no theme named '\(name)' in \(([userDirectory] + shippedDirectories).joined(separator: ", "))")
    }

    /// Shipped theme directories: `<exe dir>/../share/unitop/themes`, and `themes/` of the first
    /// directory upward from the executable that has `themes/default.toml` (a source checkout).
    public static func shippedDirectories(executablePath: String? = nil) -> [String] {
        let exe = executablePath
            ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        var dirs: [String] = []
        var dir = (exe as NSString).deletingLastPathComponent
        guard !dir.isEmpty else { return [] }
        dirs.append(((dir as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/unitop/themes"))
        for _ in 0..<8 {
            let candidate = (dir as NSString).appendingPathComponent("themes")
            if FileManager.default.fileExists(atPath: candidate + "/default.toml") { dirs.append(candidate); break }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { break }
            dir = parent
        }
        return dirs
    }
}
