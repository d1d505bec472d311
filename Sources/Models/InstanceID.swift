/// Identifies an instance across backends and hosts: `backend/host/name`.
public struct InstanceID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// Which backend the instance lives in.
    public var backend: BackendKind
    /// Host label, e.g. `local` or a libvirt host name.
    public var host: String
    /// Instance (domain) name, unique per backend and host.
    public var name: String

    public init(backend: BackendKind, host: String, name: String) {
        self.backend = backend
        self.host = host
        self.name = name
    }

    public var description: String { "\(backend)/\(host)/\(name)" }

    public static func < (a: InstanceID, b: InstanceID) -> Bool {
        (a.name, a.host, a.backend) < (b.name, b.host, b.backend)
    }
}
