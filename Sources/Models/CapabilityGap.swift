/// How a front end writes a value the instance's backend cannot report (see
/// ``BackendCapabilities``): `n/a (libvirt)`, never the dash that means "not known yet".
/// The TUI's table and details and `ps`'s table use it; `ps --json` keeps `null`.
public enum CapabilityGap {
    /// The full text: `n/a (libvirt)`.
    public static func text(_ kind: BackendKind) -> String { "n/a (\(kind.rawValue))" }
    /// The text for a narrow column.
    public static let short = "n/a"

    /// The process id cannot be known: an active instance of a backend without process ids.
    public static func pid(_ inst: Instance, _ caps: BackendCapabilities) -> Bool {
        inst.pid == nil && !caps.processID && inst.state.isActive
    }

    /// The boot time (launch to first console byte) cannot be known.
    public static func bootTime(_ inst: Instance, _ caps: BackendCapabilities) -> Bool {
        inst.bootMillis == nil && !caps.bootTime
    }

    /// The exit code cannot be known: a guest that ended by itself on a backend without exit codes.
    public static func exitCode(_ inst: Instance, _ caps: BackendCapabilities) -> Bool {
        inst.exitCode == nil && !caps.exitCodes && (inst.state == .exited || inst.state == .crashed)
    }
}
