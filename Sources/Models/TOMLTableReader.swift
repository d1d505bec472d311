import TOMLKit

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
