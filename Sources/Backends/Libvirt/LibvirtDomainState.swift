import CLibvirt
import Models

/// Maps libvirt domain states and lifecycle events to unitop's ``InstanceState``.
enum LibvirtDomainState {
    /// The state and a human-readable reason for `virDomainGetState`'s (state, reason).
    static func map(state: Int32, reason: Int32) -> (InstanceState, String?) {
        switch UInt32(bitPattern: state) {
        case VIR_DOMAIN_RUNNING.rawValue, VIR_DOMAIN_BLOCKED.rawValue: return (.running, nil)
        case VIR_DOMAIN_PAUSED.rawValue:
            switch UInt32(bitPattern: reason) {
            case VIR_DOMAIN_PAUSED_CRASHED.rawValue: return (.crashed, "guest panicked (paused)")
            case VIR_DOMAIN_PAUSED_STARTING_UP.rawValue: return (.starting, nil)
            case VIR_DOMAIN_PAUSED_SHUTTING_DOWN.rawValue: return (.stopping, nil)
            case VIR_DOMAIN_PAUSED_IOERROR.rawValue: return (.paused, "I/O error")
            case VIR_DOMAIN_PAUSED_WATCHDOG.rawValue: return (.paused, "watchdog")
            default: return (.paused, nil)
            }
        case VIR_DOMAIN_SHUTDOWN.rawValue: return (.stopping, "shutting down")
        case VIR_DOMAIN_SHUTOFF.rawValue:
            switch UInt32(bitPattern: reason) {
            case VIR_DOMAIN_SHUTOFF_SHUTDOWN.rawValue: return (.exited, "guest powered off")
            case VIR_DOMAIN_SHUTOFF_DESTROYED.rawValue: return (.stopped, "destroyed")
            case VIR_DOMAIN_SHUTOFF_CRASHED.rawValue: return (.crashed, "guest crashed")
            case VIR_DOMAIN_SHUTOFF_FAILED.rawValue: return (.exited, Self.failedText)
            case VIR_DOMAIN_SHUTOFF_SAVED.rawValue: return (.stopped, "saved")
            case VIR_DOMAIN_SHUTOFF_MIGRATED.rawValue: return (.stopped, "migrated")
            case VIR_DOMAIN_SHUTOFF_DAEMON.rawValue: return (.stopped, "killed by libvirtd")
            default: return (.stopped, nil)
            }
        case VIR_DOMAIN_CRASHED.rawValue:
            return (.crashed, reason == Int32(VIR_DOMAIN_CRASHED_PANICKED.rawValue) ? "guest panicked" : "guest crashed")
        case VIR_DOMAIN_PMSUSPENDED.rawValue: return (.paused, "suspended by the guest")
        default: return (.created, nil)
        }
    }

    /// QEMU exited on its own without a guest shutdown: isa-debug-exit (the unikernel's exit code,
    /// which libvirt does not report) or a QEMU failure.
    static let failedText = "QEMU exited on its own (isa-debug-exit or QEMU failure; libvirt does not report the code)"

    /// For a lifecycle event (event, detail): the state it leads to, its reason, and whether the
    /// domain has ended. nil for events that do not change the state (defined, undefined).
    static func fromEvent(event: Int32, detail: Int32) -> (state: InstanceState, reason: String?)? {
        switch UInt32(bitPattern: event) {
        case VIR_DOMAIN_EVENT_STARTED.rawValue, VIR_DOMAIN_EVENT_RESUMED.rawValue: return (.running, nil)
        case VIR_DOMAIN_EVENT_SUSPENDED.rawValue, VIR_DOMAIN_EVENT_PMSUSPENDED.rawValue: return (.paused, nil)
        case VIR_DOMAIN_EVENT_SHUTDOWN.rawValue: return (.stopping, "shutting down")
        case VIR_DOMAIN_EVENT_CRASHED.rawValue: return (.crashed, "guest panicked")
        case VIR_DOMAIN_EVENT_STOPPED.rawValue:
            switch UInt32(bitPattern: detail) {
            case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN.rawValue: return (.exited, "guest powered off")
            case VIR_DOMAIN_EVENT_STOPPED_DESTROYED.rawValue: return (.stopped, "destroyed")
            case VIR_DOMAIN_EVENT_STOPPED_CRASHED.rawValue: return (.crashed, "guest crashed")
            case VIR_DOMAIN_EVENT_STOPPED_FAILED.rawValue: return (.exited, failedText)
            default: return (.stopped, nil)
            }
        default: return nil
        }
    }

    static func isStopped(event: Int32) -> Bool { event == Int32(VIR_DOMAIN_EVENT_STOPPED.rawValue) }
    static func isUndefined(event: Int32) -> Bool { event == Int32(VIR_DOMAIN_EVENT_UNDEFINED.rawValue) }
}
