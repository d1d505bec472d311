/// How a command names an instance: `NAME` where that is unique across hosts, else `HOST/NAME`.
///
/// Host labels never contain `/` (they are host names, `local`, `system`, `session`, or
/// `HOST:session`), and instance names never do (``InstanceName``), so the last `/` splits them.
public struct InstanceReference: Sendable, Equatable, CustomStringConvertible {
    /// The host label when one was written.
    public var host: String?
    /// The validated instance name.
    public var name: String

    /// Parses `NAME` or `HOST/NAME`; throws ``UnitopError/invalidName(_:reason:)`` for a bad name
    /// or host label.
    public init(parsing text: String) throws(UnitopError) {
        if let slash = text.lastIndex(of: "/") {
            let host = String(text[..<slash])
            guard HostLabel.isValid(host) else {
                throw .invalidName(text, reason: "expected NAME or HOST/NAME, where HOST is a host label such as local, system or lab1")
            }
            self.host = host
            self.name = try InstanceName.validate(String(text[text.index(after: slash)...]))
        } else {
            self.host = nil
            self.name = try InstanceName.validate(text)
        }
    }

    public init(host: String?, name: String) { self.host = host; self.name = name }

    /// `HOST/NAME`, or `NAME` without a host.
    public var description: String { host.map { "\($0)/\(name)" } ?? name }
}
