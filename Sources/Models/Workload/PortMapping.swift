/// One published port: `-p [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]`, as `docker run -p` and
/// `kraft run -p` take it. The host address defaults to 127.0.0.1: a port is never published on
/// every interface unless the user asks (`-p 0.0.0.0:8080:80`).
///
/// Encodes to the `ports` objects of `ps --json`: `{hostAddress, hostPort, guestPort, protocol}`.
public struct PortMapping: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum TransportProtocol: String, Codable, Sendable, CaseIterable {
        case tcp, udp
    }

    /// The default host address: loopback only.
    public static let defaultHostAddress = "127.0.0.1"
    /// The syntax, for help and errors.
    public static let syntax = "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]"

    /// IPv4 dotted quad, or an IPv6 address (written in brackets on the command line).
    public var hostAddress: String
    public var hostPort: Int
    public var guestPort: Int
    public var `protocol`: TransportProtocol

    public init(hostAddress: String = PortMapping.defaultHostAddress, hostPort: Int, guestPort: Int,
                protocol: TransportProtocol = .tcp) {
        self.hostAddress = hostAddress; self.hostPort = hostPort; self.guestPort = guestPort
        self.protocol = `protocol`
    }

    /// `8080→80`, `8080→80/udp`, `0.0.0.0:8080→80` (the address only when not loopback): the
    /// PORTS column's words.
    public var shortDescription: String {
        let host = hostAddress == Self.defaultHostAddress ? "" : "\(displayAddress):"
        return "\(host)\(hostPort)→\(guestPort)" + (self.protocol == .udp ? "/udp" : "")
    }

    /// The flag's own spelling: `127.0.0.1:8080:80/tcp`.
    public var description: String { "\(displayAddress):\(hostPort):\(guestPort)/\(self.protocol.rawValue)" }

    /// Where a client on this host connects to reach the port: loopback for a wildcard host
    /// address (`0.0.0.0` → 127.0.0.1, `::` → ::1), else the host address itself.
    public var connectAddress: String {
        switch hostAddress {
        case "0.0.0.0": return "127.0.0.1"
        case "::": return "::1"
        default: return hostAddress
        }
    }

    /// The address as written in a `host:port` pair (IPv6 in brackets).
    public var displayAddress: String { hostAddress.contains(":") ? "[\(hostAddress)]" : hostAddress }

    /// Parses `[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]`; IPv6 host addresses in brackets.
    public static func parse(_ text: String) throws(UnitopError) -> PortMapping {
        func bad(_ why: String) -> UnitopError {
            .invalidArgument("invalid port mapping '\(text)': \(why) (expected \(syntax))")
        }
        var rest = Substring(text.trimmingSpaces)
        var proto = TransportProtocol.tcp
        if let slash = rest.lastIndex(of: "/") {
            guard let p = TransportProtocol(rawValue: rest[rest.index(after: slash)...].lowercased()) else {
                throw bad("protocol must be tcp or udp")
            }
            proto = p
            rest = rest[..<slash]
        }
        var address = defaultHostAddress
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("unclosed '['") }
            address = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { throw bad("expected ':' after the IPv6 address") }
            rest = rest.dropFirst()
            guard isIPv6(address) else { throw bad("'\(address)' is not an IPv6 address") }
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        let hostPortText: Substring, guestPortText: Substring
        switch parts.count {
        case 2: hostPortText = parts[0]; guestPortText = parts[1]
        case 3:
            guard address == defaultHostAddress || !text.contains("[") else { throw bad("too many ':'") }
            address = String(parts[0])
            guard isIPv4(address) else { throw bad("'\(address)' is not an IPv4 address") }
            hostPortText = parts[1]; guestPortText = parts[2]
        default: throw bad(parts.count < 2 ? "a host and a guest port are needed" : "too many ':'")
        }
        guard let host = port(hostPortText) else { throw bad("host port '\(hostPortText)' is not 1 to 65535") }
        guard let guest = port(guestPortText) else { throw bad("guest port '\(guestPortText)' is not 1 to 65535") }
        return PortMapping(hostAddress: address, hostPort: host, guestPort: guest, protocol: proto)
    }

    static func port(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.count <= 5, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int(s), (1...65535).contains(n) else { return nil }
        return n
    }

    /// Four decimal octets 0–255, no leading `+`/`-`.
    public static func isIPv4(_ s: String) -> Bool {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { o in
            !o.isEmpty && o.utf8.count <= 3 && o.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (Int(o) ?? 256) <= 255
        }
    }

    /// Hex groups and colons (with at most one `::`), at most 45 characters.
    public static func isIPv6(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 45, s.contains(":") else { return false }
        let hex = s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) || b == 0x3A || b == 0x2E
        }
        return hex && s.components(separatedBy: "::").count <= 2
    }

    /// Two mappings clash when they would bind the same host port with the same protocol.
    public func clashes(with other: PortMapping) -> Bool {
        hostPort == other.hostPort && self.protocol == other.protocol
            && (hostAddress == other.hostAddress || hostAddress == "0.0.0.0" || other.hostAddress == "0.0.0.0")
    }
}
