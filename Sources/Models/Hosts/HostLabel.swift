/// Host labels: how listings, `--host` and `HOST/NAME` name a host.
///
/// The local QEMU backend is ``local``; a libvirt connection is `system`, `session`, `test`, or
/// its host name (with `:session` for a session URI), see the libvirt backend's `LibvirtURI`.
public enum HostLabel {
    /// The label of this machine's QEMU backend (and of this machine's image catalog).
    public static let local = "local"

    /// Whether `text` can be a host label: a letter or digit, then letters, digits, `.`, `_`,
    /// `-` and `:` (at most 255 bytes).
    public static func isValid(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 255,
              ("0"..."9").contains(first) || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { s in
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || ".-_:".unicodeScalars.contains(s)
        }
    }
}
