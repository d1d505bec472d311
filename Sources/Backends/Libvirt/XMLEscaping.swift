import Models

/// Escaping and checking of text that goes into libvirt domain XML.
public enum XMLEscaping {
    /// Escapes `& < > " '` so `text` is safe in element content and in single- or double-quoted
    /// attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Throws unless `text` can be represented in XML 1.0 at all: no control characters other than
    /// tab, and at most `maxBytes` bytes. `what` names the value in the error.
    public static func checkRepresentable(_ text: String, what: String, maxBytes: Int) throws(UnitopError) {
        if text.utf8.count > maxBytes {
            throw .invalidArgument("\(what) is longer than \(maxBytes) bytes")
        }
        for s in text.unicodeScalars where (s.value < 0x20 && s != "\t") || s.value == 0x7F || s.value == 0xFFFE || s.value == 0xFFFF {
            throw .invalidArgument("\(what) contains a control character (U+\(String(s.value, radix: 16, uppercase: true)))")
        }
    }
}
