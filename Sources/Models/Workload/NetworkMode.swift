/// How an instance is networked (`--net`, the sidecar's `net`, the start form).
///
/// Written as text everywhere (`none`, `user`, `bridge=br0`, `tap=tap0`, `network=default`), so
/// `ps --json` and a sidecar use the same words the flag takes.
public enum NetworkMode: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// No network device.
    case none
    /// QEMU user-mode networking (slirp): the guest is 10.0.2.15 behind NAT, published ports are
    /// `hostfwd` rules.
    case user
    /// A tap device attached to the named host bridge.
    case bridge(String)
    /// An existing tap device.
    case tap(String)
    /// libvirt only: an `<interface type='network'>` on the named libvirt network.
    case network(String)

    /// Longest interface, bridge or network name accepted (Linux's IFNAMSIZ is 16 with the NUL;
    /// libvirt network names may be longer).
    public static let maxNameBytes = 64

    /// The modes as the flag spells them, for help and errors.
    public static let syntax = "none, user, bridge=NAME, tap=NAME or network=NAME"

    public var description: String {
        switch self {
        case .none: return "none"
        case .user: return "user"
        case .bridge(let n): return "bridge=\(n)"
        case .tap(let n): return "tap=\(n)"
        case .network(let n): return "network=\(n)"
        }
    }

    /// True when the guest gets a network device.
    public var hasDevice: Bool { self != .none }

    /// Parses `none`, `user`, `bridge=NAME`, `tap=NAME` or `network=NAME`.
    public static func parse(_ text: String) throws(UnitopError) -> NetworkMode {
        let t = text.trimmingSpaces
        switch t {
        case "none": return .none
        case "user": return .user
        default: break
        }
        guard let eq = t.firstIndex(of: "=") else {
            throw .invalidArgument("invalid network '\(text)': expected \(syntax)")
        }
        let kind = String(t[..<eq]), name = String(t[t.index(after: eq)...])
        try checkName(name, what: kind)
        switch kind {
        case "bridge": return .bridge(name)
        case "tap": return .tap(name)
        case "network": return .network(name)
        default: throw .invalidArgument("invalid network '\(text)': expected \(syntax)")
        }
    }

    /// Letters, digits, `.`, `_`, `-`, `:`; 1 to ``maxNameBytes`` bytes; never starting with `-`.
    static func checkName(_ name: String, what: String) throws(UnitopError) {
        let ok = !name.isEmpty && name.utf8.count <= maxNameBytes && name.utf8.first != UInt8(ascii: "-")
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || b == 0x2E || b == 0x5F || b == 0x2D || b == 0x3A
            }
        if !ok {
            throw .invalidArgument("invalid \(what) name '\(name)': 1 to \(maxNameBytes) letters, digits, '.', '_', '-' or ':'")
        }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try NetworkMode.parse(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
