/// A host folder shared with the guest over virtio-9p: `-v HOST_DIR:TAG[:ro]`. Unikraft's 9pfs
/// and Linux (`mount -t 9p TAG /mnt`) mount it by its tag.
///
/// Encodes to the `volumes` objects of `ps --json`: `{hostPath, tag, readOnly}`.
public struct VolumeMount: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// QEMU's virtio-9p limits a mount tag to 31 bytes.
    public static let maxTagBytes = 31
    public static let syntax = "HOST_DIR:TAG[:ro]"

    /// Absolute path of the folder on the host that runs the guest.
    public var hostPath: String
    public var tag: String
    public var readOnly: Bool

    public init(hostPath: String, tag: String, readOnly: Bool = false) {
        self.hostPath = hostPath; self.tag = tag; self.readOnly = readOnly
    }

    public var description: String { "\(hostPath):\(tag)" + (readOnly ? ":ro" : "") }

    /// Parses `HOST_DIR:TAG[:ro|:rw]`. The path is made absolute against `baseDirectory` (the
    /// current directory for a flag, the sidecar's folder for a sidecar); it is not checked here
    /// (see ``LaunchResolver``).
    public static func parse(_ text: String, baseDirectory: String) throws(UnitopError) -> VolumeMount {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var readOnly = false
        if parts.count >= 3, let last = parts.last, last == "ro" || last == "rw" {
            readOnly = last == "ro"
            parts.removeLast()
        }
        guard parts.count == 2, !parts[0].isEmpty else {
            throw .invalidArgument("invalid volume '\(text)': expected \(syntax)")
        }
        try checkTag(parts[1])
        return VolumeMount(hostPath: WorkloadPaths.absolute(parts[0], base: baseDirectory), tag: parts[1], readOnly: readOnly)
    }

    /// 1 to 31 letters, digits, `_`, `-`, `.`.
    public static func checkTag(_ tag: String) throws(UnitopError) {
        let ok = !tag.isEmpty && tag.utf8.count <= maxTagBytes && tag.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
        }
        if !ok {
            throw .invalidArgument("invalid volume tag '\(tag)': 1 to \(maxTagBytes) letters, digits, '.', '_' or '-'")
        }
    }
}
