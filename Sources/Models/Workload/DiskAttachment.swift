/// A disk image's on-disk format, decided from its bytes (never from its name).
public enum DiskFormat: String, Codable, Sendable, CaseIterable {
    case raw, qcow2
}

/// A virtio-blk drive: `--disk FILE[:ro]`.
///
/// Encodes to the `disks` objects of `ps --json`: `{path, format, readOnly}`.
public struct DiskAttachment: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public static let syntax = "FILE[:ro]"

    /// Absolute path of the image file on the host that runs the guest.
    public var path: String
    public var format: DiskFormat
    public var readOnly: Bool

    public init(path: String, format: DiskFormat, readOnly: Bool = false) {
        self.path = path; self.format = format; self.readOnly = readOnly
    }

    public var description: String { path + (readOnly ? ":ro" : "") + " (\(format.rawValue))" }

    /// Parses `FILE[:ro|:rw]` into a path (absolute against `baseDirectory`) and the read-only
    /// flag; the format is read from the file by ``DiskProbe``.
    public static func parsePath(_ text: String, baseDirectory: String) throws(UnitopError) -> (path: String, readOnly: Bool) {
        var path = Substring(text), readOnly = false
        if path.hasSuffix(":ro") { readOnly = true; path = path.dropLast(3) }
        else if path.hasSuffix(":rw") { path = path.dropLast(3) }
        guard !path.isEmpty else { throw .invalidArgument("invalid disk '\(text)': expected \(syntax)") }
        return (WorkloadPaths.absolute(String(path), base: baseDirectory), readOnly)
    }
}

/// Path helpers shared by the workload types.
enum WorkloadPaths {
    /// `path` made absolute against `base` (a trailing `/` on `base` is fine).
    static func absolute(_ path: String, base: String) -> String {
        if path.hasPrefix("/") { return path }
        return (base.hasSuffix("/") ? base : base + "/") + path
    }
}

/// A disk asked for by a flag, a sidecar or the start form, before its file is checked and its
/// format read (see ``WorkloadFiles/checkDisk(path:readOnly:)``).
public struct DiskRequest: Sendable, Equatable, Hashable {
    public var path: String
    public var readOnly: Bool

    public init(path: String, readOnly: Bool = false) { self.path = path; self.readOnly = readOnly }

    /// Parses `FILE[:ro]`, relative paths against `baseDirectory`.
    public static func parse(_ text: String, baseDirectory: String) throws(UnitopError) -> DiskRequest {
        let (path, readOnly) = try DiskAttachment.parsePath(text, baseDirectory: baseDirectory)
        return DiskRequest(path: path, readOnly: readOnly)
    }
}
