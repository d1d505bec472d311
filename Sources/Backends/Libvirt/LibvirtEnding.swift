import CLibvirt
import Foundation
import Models

/// How a domain's run ended, from either of the two places that say so: the STOPPED lifecycle
/// event (when this process watched) or libvirt's own per-domain QEMU log (afterwards, when
/// nobody watched; a transient domain leaves nothing else behind). Both map through
/// ``outcome`` so the same ending reads the same either way.
enum LibvirtEnding: Sendable, Equatable {
    /// The guest powered off (ACPI, or a reset under `<on_reboot>destroy</on_reboot>`).
    case poweredOff
    /// `virDomainDestroy` (kill, or a graceful stop that escalated).
    case destroyed
    /// The guest panicked (pvpanic; `<on_crash>destroy</on_crash>`): libvirt killed QEMU.
    case crashed
    /// QEMU exited by itself without a guest shutdown: isa-debug-exit or a QEMU failure.
    case exitedOnItsOwn
    case killedByDaemon
    case saved
    case migrated
    case other

    /// State, reason and exit code recorded for this ending, when the guest wrote no exit value
    /// (see ``LibvirtExitLog``; a value written takes precedence over every ending here). The
    /// only code known here is 0 for a guest power-off.
    ///
    /// `hasExitDevice`: the domain reports exit values through the isa-debugcon file. QEMU then
    /// never exits because of the guest, so exiting on its own is a QEMU failure (`crashed`);
    /// without it (remote hosts, older domains) it may be isa-debug-exit, whose status libvirt
    /// does not report.
    func outcome(hasExitDevice: Bool) -> (state: InstanceState, reason: String, exitCode: Int?) {
        if self == .exitedOnItsOwn, hasExitDevice { return (.crashed, Self.qemuFailedText, nil) }
        return outcome
    }

    /// QEMU ended by itself although the guest did not power off or write an exit value.
    static let qemuFailedText = "QEMU exited on its own (a QEMU failure; see libvirt's log of the domain)"

    /// The outcome without an exit device (see ``outcome(hasExitDevice:)``).
    var outcome: (state: InstanceState, reason: String, exitCode: Int?) {
        switch self {
        case .poweredOff: return (.exited, "guest powered off", 0)
        case .destroyed: return (.stopped, "destroyed", nil)
        case .crashed: return (.crashed, "guest crashed", nil)
        case .exitedOnItsOwn: return (.exited, LibvirtDomainState.failedText, nil)
        case .killedByDaemon: return (.stopped, "killed by libvirtd", nil)
        case .saved: return (.stopped, "saved", nil)
        case .migrated: return (.stopped, "migrated", nil)
        case .other: return (.stopped, "stopped", nil)
        }
    }

    /// From a STOPPED event's detail.
    init(stoppedDetail detail: Int32) {
        switch UInt32(bitPattern: detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN.rawValue: self = .poweredOff
        case VIR_DOMAIN_EVENT_STOPPED_DESTROYED.rawValue: self = .destroyed
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED.rawValue: self = .crashed
        case VIR_DOMAIN_EVENT_STOPPED_FAILED.rawValue: self = .exitedOnItsOwn
        case VIR_DOMAIN_EVENT_STOPPED_SAVED.rawValue: self = .saved
        case VIR_DOMAIN_EVENT_STOPPED_MIGRATED.rawValue: self = .migrated
        default: self = .other
        }
    }

    /// At most this much of the end of the log is read.
    static let maxLogTailBytes = 64 * 1024

    /// The ending of the last run recorded in libvirt's QEMU log of a domain (the text after the
    /// last `starting up` line), nil while that run has not ended or when the log says nothing.
    ///
    /// libvirt writes `shutting down, reason=R` when a run ends. `crashed` stands for two endings:
    /// QEMU's monitor closed without a shutdown (QEMU exited by itself: the STOPPED_FAILED event),
    /// or a guest panic after which libvirt killed QEMU, which then logs `terminating on signal`.
    static func fromLog(_ text: Substring) -> LibvirtEnding? {
        let run = text.range(of: "starting up", options: .backwards).map { text[$0.upperBound...] } ?? text
        guard let marker = run.range(of: "shutting down, reason=", options: .backwards) else { return nil }
        let reason = run[marker.upperBound...].prefix { $0.isLetter }
        switch reason {
        case "shutdown": return .poweredOff
        case "destroyed": return .destroyed
        case "crashed": return run.contains("terminating on signal") ? .crashed : .exitedOnItsOwn
        case "daemon": return .killedByDaemon
        case "saved": return .saved
        case "migrated": return .migrated
        default: return .other
        }
    }

    /// Reads the end of the log at `path` (bounded) and parses it.
    static func fromLogFile(_ path: String) -> LibvirtEnding? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        try? handle.seek(toOffset: size > UInt64(maxLogTailBytes) ? size - UInt64(maxLogTailBytes) : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        return fromLog(Substring(String(decoding: data, as: UTF8.self)))
    }
}
