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
    func line(of key: [String]) -> Int? {
        var table: [String] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("#") || line.isEmpty { continue }
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
        }
        return nil
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

/// Typed access to one TOML table's values, with errors that name the key and its line.
struct TOMLTableReader {
    let document: TOMLDocument
    let table: TOMLTable
    /// Path of this table in the document (`[]` for the root).
    let path: [String]

    var keys: [String] { table.keys }

    func value(_ key: String) -> TOMLValueConvertible? { table[key] }

    func fail(_ key: String, _ message: String) -> UnitopError {
        document.error(message, at: path + [key])
    }

    /// Dotted name of a key for messages (`qemu.accel`).
    func dotted(_ key: String) -> String { (path + [key]).joined(separator: ".") }

    /// Throws for the first key not in `known` ("unknown key 'x'").
    func rejectUnknownKeys(_ known: Set<String>) throws(UnitopError) {
        for key in keys.sorted() where !known.contains(key) {
            throw fail(key, "unknown key '\(dotted(key))'")
        }
    }

    func string(_ key: String, maxBytes: Int = 4096, allowEmpty: Bool = false) throws(UnitopError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else { throw fail(key, "'\(dotted(key))' must be a string, not \(typeName(v))") }
        if !allowEmpty && s.isEmpty { throw fail(key, "'\(dotted(key))' must not be empty") }
        if s.utf8.count > maxBytes { throw fail(key, "'\(dotted(key))' is longer than \(maxBytes) bytes") }
        return s
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(UnitopError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let n = v.int else { throw fail(key, "'\(dotted(key))' must be an integer, not \(typeName(v))") }
        guard range.contains(n) else {
            throw fail(key, "'\(dotted(key))' must be between \(range.lowerBound) and \(range.upperBound), not \(n)")
        }
        return n
    }

    func bool(_ key: String) throws(UnitopError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.bool else { throw fail(key, "'\(dotted(key))' must be true or false, not \(typeName(v))") }
        return b
    }

    func stringArray(_ key: String, maxCount: Int, maxBytes: Int = 4096) throws(UnitopError) -> [String]? {
        guard let v = value(key) else { return nil }
        guard let array = v.array else {
            throw fail(key, "'\(dotted(key))' must be an array of strings, not \(typeName(v))")
        }
        guard array.count <= maxCount else { throw fail(key, "'\(dotted(key))' has more than \(maxCount) entries") }
        var out: [String] = []
        for element in array {
            guard let s = element.string, !s.isEmpty, s.utf8.count <= maxBytes else {
                throw fail(key, "'\(dotted(key))' must hold non-empty strings")
            }
            out.append(s)
        }
        return out
    }

    /// A sub-table, or nil when absent.
    func table(_ key: String) throws(UnitopError) -> TOMLTableReader? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else { throw fail(key, "'\(dotted(key))' must be a table, not \(typeName(v))") }
        return TOMLTableReader(document: document, table: t, path: path + [key])
    }

    func typeName(_ v: TOMLValueConvertible) -> String {
        switch v.type {
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a float"
        case .string: return "a string"
        case .array: return "an array"
        case .table: return "a table"
        case .date, .time, .dateTime: return "a date/time"
        }
    }
}
