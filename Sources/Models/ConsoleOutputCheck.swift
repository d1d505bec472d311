/// Checks that bytes are what ``ConsoleSanitizer`` promises to produce: for tests, fuzzing and
/// anyone who wants to assert that guest output is safe to show.
public enum ConsoleOutputCheck {
    /// A description of the first way `bytes` is not safe sanitized output, or nil when it is:
    /// valid UTF-8, no C0 control except HT/LF/CR, no DEL, no C1 control character, and every ESC
    /// the start of an SGR of the form `ESC [ n ; n … m` (decimal parameters).
    public static func violation(in bytes: [UInt8]) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return "invalid UTF-8" }
        var index = 0
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: break
            case 0x1B: break  // checked below on bytes
            case 0x00...0x1F: return "C0 control U+\(hex(scalar.value)) at scalar \(index)"
            case 0x7F...0x9F: return "control U+\(hex(scalar.value)) at scalar \(index)"
            default: break
            }
            index += 1
        }
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 0x1B else { i += 1; continue }
            guard i + 1 < bytes.count, bytes[i + 1] == 0x5B else { return "ESC not followed by [ at byte \(i)" }
            var j = i + 2
            var digits = 0
            var parameters = 0
            while j < bytes.count, bytes[j] == 0x3B || (bytes[j] >= 0x30 && bytes[j] <= 0x39) {
                if bytes[j] == 0x3B {
                    if digits == 0 { return "empty SGR parameter at byte \(j)" }
                    digits = 0
                    parameters += 1
                } else {
                    digits += 1
                    if digits > 4 { return "SGR parameter too long at byte \(j)" }
                }
                j += 1
            }
            guard digits > 0 else { return "empty SGR parameter at byte \(j)" }
            guard parameters < ConsoleLimits.maxParameters else { return "too many SGR parameters at byte \(i)" }
            guard j < bytes.count, bytes[j] == 0x6D else { return "control sequence other than SGR at byte \(i)" }
            i = j + 1
        }
        return nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
