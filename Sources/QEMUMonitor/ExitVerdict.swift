import Foundation
import Models

/// How a QEMU process ended, decided from its wait status and what the monitor saw before.
///
/// The order of the rules matters:
/// 1. a crash the monitor saw (a panic event, a triple fault) is a crash;
/// 2. a stop unitop itself began (``StopPlan/phase``) is a stop;
/// 3. a signal is a crash;
/// 4. QEMU's own fatal errors exit 1 with a message on stderr;
/// 5. an odd status comes from the guest's isa-debug-exit write and is read through
///    ``GuestExit`` (Unikraft's 41 is `exited 0`, 42 is a crash) whatever else happened: a
///    guest that attempted an ACPI power-off just before (Unikraft does, and QEMU may or may not
///    have reported the SHUTDOWN by then) keeps its isa-debug-exit meaning;
/// 6. status 0 after the guest's own power-off is `exited 0`; any other 0 is a quit.
struct ExitVerdict {
    var crashReason: String?
    var stop: StopPlan
    var shutdownReason: String?
    /// The last line QEMU wrote to stderr.
    var stderrTail: String?

    func record(for w: WaitStatus) -> ExitRecord {
        let raw = w.raw
        func ended(_ state: InstanceState, _ code: Int?, _ reason: String) -> ExitRecord {
            ExitRecord(state: state, exitCode: code, reason: reason, rawStatus: raw)
        }
        if let crashReason { return ended(.crashed, nil, crashReason) }
        let code = w.exitCode
        let guest = code.flatMap { GuestExit.debugExitValue(qemuStatus: $0) }.map { GuestExit.outcome(debugExitValue: $0) }
        switch stop.phase {
        case .kill:
            return ended(.stopped, nil, "killed (SIGKILL)")
        case .terminate:
            return ended(.stopped, nil, "stopped (SIGTERM after quit did not work)")
        case .quit:
            return ended(.stopped, nil, stop.monitorTerminated ? "stopped (monitor terminated)"
                : "stopped (quit after \(Self.formatSeconds(stop.timeoutSeconds)) timeout)")
        case .powerdown:
            // The guest answered the ACPI request by powering off, or by halting cleanly through
            // isa-debug-exit (Unikraft's 41). Other exit codes and crashes keep their meaning.
            if code == 0 || (code != 1 && guest?.state == .exited && guest?.exitCode == 0) {
                return ended(.stopped, nil, "stopped (ACPI powerdown)")
            }
        case .none:
            break
        }
        if let sig = w.signal { return ended(.crashed, nil, "QEMU killed by signal \(sig)") }
        let status = code ?? -1
        if status == 1, let tail = stderrTail, !tail.contains("warning:") {
            // QEMU's own fatal errors also exit with 1 (which isa-debug-exit value 0 would give).
            return ended(.crashed, nil, "QEMU failed: \(tail)")
        }
        if let guest { return ended(guest.state, guest.exitCode, guest.reason) }
        if status == 0 && shutdownReason == "guest-shutdown" { return ended(.exited, 0, "guest powered off") }
        if status == 0 { return ended(.stopped, nil, "QEMU quit (\(shutdownReason ?? "no reason given"))") }
        return ended(.crashed, nil, "QEMU exited with status \(status)" + (stderrTail.map { ": \($0)" } ?? ""))
    }

    static func formatSeconds(_ s: Double) -> String {
        s.rounded() == s ? "\(Int(s))s" : String(format: "%.1fs", s)
    }
}
