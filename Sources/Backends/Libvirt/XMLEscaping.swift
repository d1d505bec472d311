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

    /// Decodes the five predefined entities (`&amp; &lt; &gt; &quot; &apos;`) and decimal or hex
    /// character references in text libvirt wrote; an unknown or malformed reference is kept as it is.
    public static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named: [Substring: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.prefix(12).firstIndex(of: ";") else {
                out += "&"; rest = after; continue
            }
            let entity = after[..<semi]
            var decoded = named[entity]
            if decoded == nil, entity.hasPrefix("#") {
                let digits = entity.dropFirst()
                let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                decoded = value.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
            }
            if let decoded {
                out += decoded
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"; rest = after
            }
        }
        return out + rest
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
