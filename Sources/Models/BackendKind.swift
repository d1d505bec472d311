/// Which implementation of ``UnikernelBackend`` an instance lives in.
///
/// Encodes as its raw value (`"qemu"`, `"libvirt"`): the `backend` field of `ps --json`.
public enum BackendKind: String, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// QEMU processes started and supervised by `unitop-monitor`, controlled over QMP.
    case qemu
    /// Domains of a libvirt connection (local or remote).
    case libvirt

    public var description: String { rawValue }

    /// Parses a user-supplied name; throws ``UnitopError/invalidArgument(_:)`` naming the choices.
    public static func parse(_ text: String) throws(UnitopError) -> BackendKind {
        guard let kind = BackendKind(rawValue: text) else {
            throw .invalidArgument("unknown backend '\(text)': expected \(allCases.map(\.rawValue).joined(separator: " or "))")
        }
        return kind
    }

    public static func < (a: BackendKind, b: BackendKind) -> Bool { a.rawValue < b.rawValue }
}
