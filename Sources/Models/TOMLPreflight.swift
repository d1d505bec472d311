/// Rejects TOML text that would trip an assertion in the toml++ 3.4.0 parser bundled with
/// TOMLKit 0.6.0, before the text reaches it.
///
/// toml++ calls `parse_key()` for a table header without checking that a key starts there:
/// `[` + newline, `[[[1]]]`, `[[=`, `[#` abort the process in debug builds (an `assert`) and are
/// undefined behaviour in release builds (`__builtin_assume`). Fixed upstream in
/// marzer/tomlplusplus#301, not in the copy we build. Likewise `parse_value()` is entered for
/// an array element starting with `}` (`x = [1, }`), and its date/time parser asserts on
/// malformed dates (`1979-04-27Tp7`). All found by Fuzz/ConfigFuzz. unitop's files have no
/// date or time values, so date-like bare tokens are refused here outright.
///
/// The scan tracks strings, comments and bracket depth so that only real table headers (a `[`
/// starting a line outside any value) are checked; valid TOML never fails this check.
enum TOMLPreflight {
    /// `(line, message)` of the first hazardous table header, or nil.
    static func check(_ text: String) -> (line: Int, message: String)? {
        let b = Array(text.utf8)
        let n = b.count
        // toml++ skips a UTF-8 byte order mark.
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        // Open '[' (array) and '{' (inline table) of values; table headers are not pushed.
        var stack: [UInt8] = []
        var atLineStart = true
        // Inside an array, right after '[' or ',': the next token starts a value (or closes).
        var expectArrayElement = false
        func isKeyStart(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x5F || c == 0x2D || c == 0x22 || c == 0x27
        }
        func skipBlanks(_ j: inout Int) -> Bool {
            let start = j
            while j < n, b[j] == 0x20 || b[j] == 0x09 { j += 1 }
            return j > start
        }
        while i < n {
            let c = b[i]
            switch c {
            case 0x0A:
                line += 1; atLineStart = true; i += 1
                continue
            case 0x20, 0x09, 0x0D:
                i += 1
                continue
            case 0x23:  // '#': comment to end of line
                while i < n, b[i] != 0x0A { i += 1 }
                continue
            default:
                break
            }
            if expectArrayElement && c == 0x7D {
                return (line, "unexpected '}' in an array")
            }
            expectArrayElement = false
            switch c {
            case 0x22, 0x27:  // '"' or '\''
                i = skipString(b, from: i, line: &line)
            case 0x5B:  // '['
                if stack.isEmpty && atLineStart {
                    let headerLine = line
                    var j = i + 1
                    let blanks = skipBlanks(&j)
                    if j < n, b[j] == 0x5B, !blanks {
                        j += 1
                        _ = skipBlanks(&j)
                    }
                    if j < n, b[j] == 0x5B {
                        return (headerLine, "invalid table header: too many '['")
                    }
                    if j < n, !isKeyStart(b[j]), b[j] != 0x5D {
                        return (headerLine, "invalid table header: expected a key name after '['")
                    }
                    i = j
                } else {
                    stack.append(c)
                    expectArrayElement = true
                    i += 1
                }
            case 0x7B:  // '{'
                stack.append(c); i += 1
            case 0x5D, 0x7D:  // ']' '}'
                if !stack.isEmpty { stack.removeLast() }
                i += 1
            case 0x2C:  // ','
                expectArrayElement = stack.last == 0x5B
                i += 1
            default:
                // A bare token (key, number, boolean, date …): consume it whole.
                let start = i
                while i < n, !isTokenEnd(b[i]) { i += 1 }
                if i == start { i += 1 }
                if looksLikeDateOrTime(b[start..<i]) {
                    return (line, "dates and times are not supported here")
                }
            }
            atLineStart = false
        }
        return nil
    }

    private static func isTokenEnd(_ c: UInt8) -> Bool {
        switch c {
        case 0x20, 0x09, 0x0D, 0x0A, 0x2C, 0x5B, 0x5D, 0x7B, 0x7D, 0x23, 0x3D, 0x22, 0x27: return true
        default: return false
        }
    }

    /// Starts with a digit and has a `:` or starts `DDDD-` (TOML local/offset dates and times).
    private static func looksLikeDateOrTime(_ token: ArraySlice<UInt8>) -> Bool {
        guard let first = token.first, first >= 0x30, first <= 0x39 else { return false }
        if token.contains(0x3A) { return true }
        let head = Array(token.prefix(5))
        return head.count == 5 && head[0..<4].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && head[4] == 0x2D
    }

    /// Index just past the string starting at `start` (basic or literal, single- or multi-line).
    private static func skipString(_ b: [UInt8], from start: Int, line: inout Int) -> Int {
        let n = b.count
        let q = b[start]
        let basic = q == 0x22
        if start + 2 < n, b[start + 1] == q, b[start + 2] == q {
            var i = start + 3
            while i < n {
                if basic && b[i] == 0x5C { i += 2; continue }
                if b[i] == 0x0A { line += 1 }
                if b[i] == q, i + 2 < n, b[i + 1] == q, b[i + 2] == q {
                    i += 3
                    // Up to two more quotes belong to the content.
                    var extra = 0
                    while extra < 2, i < n, b[i] == q { i += 1; extra += 1 }
                    return i
                }
                i += 1
            }
            return n
        }
        var i = start + 1
        while i < n, b[i] != 0x0A {
            if basic && b[i] == 0x5C { i += 2; continue }
            if b[i] == q { return i + 1 }
            i += 1
        }
        return i
    }
}
