import Foundation
import Models

/// A checked libvirt connection URI and what unitop derives from it.
///
/// Host labels (shown in the HOST column and used in instance ids):
/// - `qemu:///system` → `system`, `qemu:///session` → `session`, `test:///…` → `test`;
/// - a URI with a host → that host name (`qemu+ssh://root@lab1/system` → `lab1`,
///   `qemu+tcp://127.0.0.1/system` → `127.0.0.1`), with `:session` appended for session URIs.
public struct LibvirtURI: Sendable, Equatable {
    public let string: String
    /// `qemu`, `qemu+ssh`, `test`, …
    public let scheme: String
    /// Host name, nil for local URIs.
    public let hostName: String?
    /// `/system`, `/session`, `/default`, …
    public let path: String
    /// The account named in the URI (`root` in `qemu+ssh://root@lab1/system`), nil without one.
    public let userName: String?
    /// Set by the caller: take the remote path even where ``isThisMachine`` would say local
    /// (see ``init(_:treatAsRemote:)``).
    public let treatAsRemote: Bool

    /// Schemes unitop accepts: the QEMU driver (local or through a remote transport) and the test driver.
    public static let driverNames = ["qemu", "test"]
    public static let transports = ["", "ssh", "libssh", "libssh2", "tcp", "tls", "unix", "ext"]

    /// - Parameter treatAsRemote: handle the host as another machine even when the URI is local
    ///   (files go through the libvirt API: uploaded images, console logs read as volumes). For a
    ///   `qemu+unix:///session?socket=…` URI of another account's daemon, whose QEMU cannot read
    ///   this account's files and whose logs this account should not read directly. The command
    ///   line never sets it; ssh URIs are remote without it.
    public init(_ uri: String, treatAsRemote: Bool = false) throws(UnitopError) {
        string = uri
        self.treatAsRemote = treatAsRemote
        guard let colon = uri.range(of: "://") else {
            throw .invalidArgument("invalid libvirt URI '\(uri)': expected e.g. qemu:///system or qemu+ssh://host/system")
        }
        let scheme = String(uri[..<colon.lowerBound]).lowercased()
        let parts = scheme.split(separator: "+", maxSplits: 1).map(String.init)
        let driver = parts.first ?? ""
        let transport = parts.count > 1 ? parts[1] : ""
        guard Self.driverNames.contains(driver), Self.transports.contains(transport) else {
            throw .invalidArgument("unsupported libvirt URI scheme '\(scheme)' in '\(uri)': expected qemu:///system, qemu:///session, qemu+ssh://HOST/system, qemu+tcp://HOST/system or test:///default")
        }
        self.scheme = scheme
        let rest = uri[colon.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let afterAuthority = rest.dropFirst(authority.count)
        path = String(afterAuthority.prefix { $0 != "?" })
        let at = authority.lastIndex(of: "@")
        let user = at.map { String(authority[..<$0]).split(separator: ":").first.map(String.init) ?? "" } ?? ""
        userName = user.isEmpty ? nil : user
        var host = authority.split(separator: "@").last.map(String.init) ?? ""
        if host.hasPrefix("[") {  // [::1]:16509
            host = String(host.dropFirst().prefix { $0 != "]" })
        } else if let c = host.lastIndex(of: ":") {
            host = String(host[..<c])
        }
        hostName = host.isEmpty ? nil : host
    }

    public var driver: String { String(scheme.split(separator: "+").first ?? "") }
    public var isTest: Bool { driver == "test" }
    public var isSession: Bool { path.hasPrefix("/session") }

    /// The transport part of the scheme (`ssh` in `qemu+ssh`), empty for a local URI.
    public var transport: String {
        let parts = scheme.split(separator: "+", maxSplits: 1)
        return parts.count > 1 ? String(parts[1]) : ""
    }

    /// Whether the transport is ssh (`+ssh`, `+libssh`, `+libssh2`).
    public var isSSH: Bool { ["ssh", "libssh", "libssh2"].contains(transport) }

    /// Whether the libvirt host is this machine, so files under paths the URI reports can be read
    /// and written here: no host or a loopback address, and not an ssh transport (ssh reaches
    /// another account or host even on 127.0.0.1: files go through the API), nor
    /// ``treatAsRemote``.
    public var isThisMachine: Bool {
        if treatAsRemote || isSSH { return false }
        guard let h = hostName?.lowercased() else { return true }
        return h == "localhost" || h == "127.0.0.1" || h == "::1" || h.hasPrefix("127.")
    }

    /// The short label shown for this connection (see the type's documentation).
    public var hostLabel: String {
        if let hostName { return isSession ? hostName + ":session" : hostName }
        if isTest { return "test" }
        if isSession { return "session" }
        let p = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return p.isEmpty ? driver : p
    }
}
