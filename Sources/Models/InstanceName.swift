/// The one place instance names are validated.
///
/// A name is 1 to 64 characters from `A-Z a-z 0-9 . _ -`, starts with a letter or digit,
/// and is not `.`/`..`. It is used as a directory name, socket name and libvirt domain name.
public enum InstanceName {
    public static let maxLength = 64

    /// Returns `name` if valid, otherwise throws ``UnitopError/invalidName(_:reason:)``.
    @discardableResult
    public static func validate(_ name: String) throws(UnitopError) -> String {
        if name.isEmpty { throw .invalidName(name, reason: "it is empty") }
        if name.utf8.count > maxLength {
            throw .invalidName(name, reason: "longer than \(maxLength) characters")
        }
        for (i, b) in name.utf8.enumerated() {
            let isAlnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            if i == 0 && !isAlnum {
                throw .invalidName(name, reason: "must start with a letter or digit")
            }
            if !(isAlnum || b == 0x2E || b == 0x5F || b == 0x2D) {
                throw .invalidName(name, reason: "only letters, digits, '.', '_' and '-' are allowed")
            }
        }
        if name.contains("..") { throw .invalidName(name, reason: "must not contain '..'") }
        return name
    }

    /// A name derived from an image file name plus a suffix, made valid (used when `--name` is absent).
    public static func derived(fromImage path: String, suffix: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? "instance"
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        var cleaned = String(stem.unicodeScalars.map { s -> Character in
            let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-" || s == "_"
            return ok ? Character(s) : "-"
        })
        if cleaned.isEmpty || !(cleaned.first?.isLetter ?? false || cleaned.first?.isNumber ?? false) {
            cleaned = "i" + cleaned
        }
        let maxStem = max(1, maxLength - suffix.utf8.count - 1)
        if cleaned.count > maxStem { cleaned = String(cleaned.prefix(maxStem)) }
        return suffix.isEmpty ? cleaned : "\(cleaned)-\(suffix)"
    }
}
