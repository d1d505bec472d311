import TOMLKit

/// A parsed TOML file plus its text, so errors can name the line of the key at fault.
///
/// TOMLKit reports lines for syntax errors only; for semantic errors (wrong type, bad value,
/// unknown key) ``line(of:)`` finds the key's line by scanning the text.
struct TOMLDocument {
    let table: TOMLTable
    let text: String
    /// File name used in messages.
    let file: String

    /// Parses `text`; syntax errors become ``UnitopError/config(path:line:message:)``.
    static func parse(_ text: String, file: String) throws(UnitopError) -> TOMLDocument {
        // TOMLKit hands the text to C as a NUL-terminated string: a NUL would silently cut it short.
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            throw .config(path: file, line: line, message: "contains a NUL byte")
        }
        if let hazard = TOMLPreflight.check(text) {
            throw .config(path: file, line: hazard.line, message: hazard.message)
        }
        do {
            return TOMLDocument(table: try TOMLTable(string: text), text: text, file: file)
        } catch let e as TOMLParseError {
            throw .config(path: file, line: e.source.begin.line > 0 ? e.source.begin.line : nil, message: e.description)
        } catch {
            throw .config(path: file, line: nil, message: "\(error)")
        }
    }

    /// Decodes bytes as UTF-8 or names the line of the first invalid byte.
    static func decodeUTF8(_ bytes: [UInt8], file: String) throws(UnitopError) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        // Find the line of the first invalid sequence by decoding line by line.
        var line = 1
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A || i == bytes.count - 1 {
            let end = b == 0x0A ? i : i + 1
            if String(validating: bytes[start..<end], as: UTF8.self) == nil { break }
            line += 1
            start = i + 1
        }
        throw .config(path: file, line: line, message: "not valid UTF-8")
    }

    /// An error about the value at `key` (a dotted path such as `["qemu", "accel"]`).
    func error(_ message: String, at key: [String]) -> UnitopError {
        .config(path: file, line: line(of: key), message: message)
    }

    /// The 1-based line where `key` is assigned (or where the table `key` starts), if found.
    /// Best effort: lines inside multi-line values (arrays spanning lines) are not mistaken for
    /// headers; multi-line strings are not tracked.
    func line(of key: [String]) -> Int? {
        var table: [String] = []
        var lineNumber = 0
        var depth = 0  // open '[' / '{' of values carried across lines
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" })
            if line.hasPrefix("#") || line.isEmpty { continue }
            if depth > 0 {
                depth = Self.nesting(after: depth, in: line)
                continue
            }
            if line.hasPrefix("[") {
                let inner = line.drop(while: { $0 == "[" })
                guard let close = inner.firstIndex(of: "]") else { continue }
                table = Self.splitKey(inner[..<close])
                if table == key { return lineNumber }
                continue
            }
            guard let eq = Self.assignmentIndex(line) else { continue }
            let path = table + Self.splitKey(line[..<eq])
            if path == key { return lineNumber }
            depth = Self.nesting(after: 0, in: line[line.index(after: eq)...])
        }
        return nil
    }

    /// Bracket depth after `text`, starting from `depth` (quotes and comments skipped).
    private static func nesting(after depth: Int, in text: Substring) -> Int {
        var depth = depth
        var quote: Character?
        for c in text {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" {
                break
            } else if c == "[" || c == "{" {
                depth += 1
            } else if c == "]" || c == "}" {
                depth = max(0, depth - 1)
            }
        }
        return depth
    }

    /// Index of the `=` that ends the key of a `key = value` line (outside quotes).
    private static func assignmentIndex(_ line: Substring) -> Substring.Index? {
        var quote: Character?
        for i in line.indices {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "=" {
                return i
            }
        }
        return nil
    }

    /// `a. "b.c" .d` → `["a", "b.c", "d"]`.
    static func splitKey(_ key: Substring) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for c in key {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "." {
                parts.append(current)
                current = ""
            } else if c != " " && c != "\t" {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }
}
