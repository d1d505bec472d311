import Foundation
import TOMLKit

/// A problem in a theme file: which file, which line (when known) and what.
public struct ThemeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String
    public init(file: String, line: Int?, message: String) { self.file = file; self.line = line; self.message = message }
    public var description: String {
        if let line { return "theme \(file):\(line): \(message)" }
        return "theme \(file): \(message)"
    }
}

/// Parses theme TOML files and finds themes by name.
///
/// Format: an optional `name = "…"` and a `[roles]` table whose keys are ``ThemeRole`` names and
/// whose values are inline tables `{ fg = COLOUR, bg = COLOUR, attrs = ["bold", …] }`.
/// Roles a theme leaves out take their style from the default theme.
public enum ThemeLoader {
    /// Theme files larger than this are refused (themes are untrusted input).
    public static let maxFileBytes = 64 * 1024

    /// Parses theme text. `base` supplies roles the text leaves out (nil: all-plain).
    public static func parse(_ text: String, file: String, base: Theme? = .default) throws(ThemeError) -> Theme {
        guard text.utf8.count <= maxFileBytes else {
            throw ThemeError(file: file, line: nil, message: "file larger than \(maxFileBytes) bytes")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ThemeError(file: file, line: e.source.begin.line, message: "syntax error: \(e.description)")
        } catch {
            throw ThemeError(file: file, line: nil, message: "syntax error: \(error)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func lineOf(_ key: String) -> Int? {
            for (i, l) in lines.enumerated() {
                let t = l.drop(while: { $0 == " " || $0 == "\t" })
                if t.hasPrefix(key + " ") || t.hasPrefix(key + "=") || t.hasPrefix("\"" + key + "\"")
                    || t.hasPrefix("[" + key + "]") {
                    return i + 1
                }
            }
            return nil
        }
        var theme = base ?? Theme(name: "")
        theme.name = (file as NSString).lastPathComponent.replacingOccurrences(of: ".toml", with: "")
        for key in table.keys {
            switch key {
            case "name":
                guard let n = table[key]?.string else {
                    throw ThemeError(file: file, line: lineOf(key), message: "'name' must be a string")
                }
                theme.name = n
            case "roles":
                guard let roles = table[key]?.table else {
                    throw ThemeError(file: file, line: lineOf(key), message: "'roles' must be a table")
                }
                for roleKey in roles.keys {
                    guard let role = ThemeRole(rawValue: roleKey) else {
                        throw ThemeError(file: file, line: lineOf(roleKey),
                                         message: "unknown role '\(roleKey)' (known: \(ThemeRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    guard let spec = roles[roleKey]?.table else {
                        throw ThemeError(file: file, line: lineOf(roleKey),
                                         message: "role '\(roleKey)' must be a table like { fg = \"red\", attrs = [\"bold\"] }")
                    }
                    do {
                        theme[role] = try style(from: spec)
                    } catch let problem {
                        throw ThemeError(file: file, line: lineOf(roleKey), message: "role '\(roleKey)': \(problem.text)")
                    }
                }
            default:
                throw ThemeError(file: file, line: lineOf(key), message: "unknown key '\(key)' (expected 'name' and '[roles]')")
            }
        }
        return theme
    }

    struct Problem: Error { var text: String }

    static func style(from spec: TOMLTable) throws(Problem) -> Style {
        var s = Style()
        for key in spec.keys {
            guard let value = spec[key] else { continue }
            switch key {
            case "fg", "foreground": s.foreground = try color(value)
            case "bg", "background": s.background = try color(value)
            case "attrs", "attributes":
                guard let arr = value.array else { throw Problem(text: "attrs must be an array of strings") }
                for item in arr {
                    guard let name = item.string else { throw Problem(text: "attrs must be an array of strings") }
                    switch name.lowercased() {
                    case "bold": s.attributes.insert(.bold)
                    case "dim": s.attributes.insert(.dim)
                    case "italic": s.attributes.insert(.italic)
                    case "underline": s.attributes.insert(.underline)
                    case "reverse": s.attributes.insert(.reverse)
                    default: throw Problem(text: "unknown attribute '\(name)' (bold, dim, italic, underline, reverse)")
                    }
                }
            default: throw Problem(text: "unknown key '\(key)' (fg, bg, attrs)")
            }
        }
        return s
    }

    static let colorNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    static func color(_ value: any TOMLValueConvertible) throws(Problem) -> TerminalColor {
        if let n = value.int {
            guard (0...255).contains(n) else { throw Problem(text: "bad colour \(n): indexes are 0-255") }
            return .indexed(UInt8(n))
        }
        guard let text = value.string else { throw Problem(text: "bad colour: expected a name, 0-255 or \"#rrggbb\"") }
        if let c = parseColor(text) { return c }
        throw Problem(text: "bad colour '\(text)': expected a name (red, bright-red, …), 0-255 or \"#rrggbb\"")
    }

    /// Parses a colour name, index or `#rrggbb`.
    public static func parseColor(_ raw: String) -> TerminalColor? {
        let text = raw.lowercased().trimmingCharacters(in: .whitespaces)
        if text == "default" || text == "none" { return .default }
        if let i = colorNames.firstIndex(of: text) { return .indexed(UInt8(i)) }
        for prefix in ["bright-", "bright_", "bright"] where text.hasPrefix(prefix) {
            if let i = colorNames.firstIndex(of: String(text.dropFirst(prefix.count))) { return .indexed(UInt8(i + 8)) }
        }
        if text == "gray" || text == "grey" { return .indexed(8) }
        if text.hasPrefix("#"), text.utf8.count == 7, let v = UInt32(text.dropFirst(), radix: 16) {
            return .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
        }
        if text.utf8.count <= 3, let n = Int(text), (0...255).contains(n) { return .indexed(UInt8(n)) }
        return nil
    }

    /// Loads a theme file from disk.
    public static func load(path: String) throws(ThemeError) -> Theme {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ThemeError(file: path, line: nil, message: "cannot read file")
        }
        if let size = attrs[.size] as? NSNumber, size.intValue > maxFileBytes {
            throw ThemeError(file: path, line: nil, message: "file larger than \(maxFileBytes) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError(file: path, line: nil, message: "cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ThemeError(file: path, line: nil, message: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }
}
