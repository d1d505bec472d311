import CLibvirt
import Models

/// Converts libvirt's thread-local last error into ``UnitopError`` values.
///
/// `virGetLastError()` is per thread, so these must be called on the thread that made the failing
/// call (inside the connection's queue job).
enum LibvirtErrors {
    /// A libvirt error as code plus message.
    struct Last: Sendable {
        var code: Int32
        var message: String
    }

    /// The calling thread's last libvirt error, or a generic one when libvirt set none.
    static func last(_ fallback: String = "unknown libvirt error") -> Last {
        guard let err = virGetLastError() else { return Last(code: -1, message: fallback) }
        let message = err.pointee.message.map { String(cString: $0) } ?? fallback
        return Last(code: err.pointee.code, message: message)
    }

    /// Whether a libvirt error code says the domain does not exist.
    static func isNoDomain(_ last: Last) -> Bool { last.code == Int32(VIR_ERR_NO_DOMAIN.rawValue) }

    /// An error for `action` on `name`, mapping "no domain" to ``UnitopError/instanceNotFound(_:)``.
    static func domain(_ name: String, action: String) -> UnitopError {
        let l = last()
        if isNoDomain(l) { return .instanceNotFound(name) }
        return .failed("cannot \(action) '\(name)': \(l.message)")
    }

    /// An error for a connection-level call.
    static func connection(_ uri: String, action: String) -> UnitopError {
        let l = last()
        return .connection(uri: uri, message: "\(action): \(l.message)")
    }
}
