import Foundation
import Models

/// A request on the monitor's control socket (`NAME.ctl`): one JSON object per line.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// The sender's ``StateFormat`` (nil: unitop 0.1.0, format 1). A monitor answers requests of
    /// any format up to its own.
    public var version: Int? = StateFormat.current
    public enum Op: String, Codable, Sendable {
        case status, pause, resume, restart, stop, kill, powerdown
    }
    public var op: Op
    /// For `stop`: seconds to wait for the guest after the ACPI powerdown before escalating.
    public var timeout: Double?

    public init(op: Op, timeout: Double? = nil) { self.op = op; self.timeout = timeout }
}

/// The reply to a ``ControlRequest``: one JSON object per line.
public struct ControlReply: Codable, Sendable, Equatable {
    /// The monitor's ``StateFormat`` (nil: a 0.1.0 monitor, format 1).
    public var version: Int? = StateFormat.current
    public var ok: Bool
    public var error: String?
    public var status: StatusRecord?

    public init(ok: Bool, error: String? = nil, status: StatusRecord? = nil) {
        self.ok = ok; self.error = error; self.status = status
    }
}
