import CUnitopSys
import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// The escalation ladder of a graceful stop, run by the monitor itself.
struct StopPlan {
    enum Phase: Int { case none, powerdown, quit, terminate, kill }
    var phase = Phase.none
    var deadline: ContinuousClock.Instant?
    /// The timeout the user asked for (for the reason text).
    var timeoutSeconds: Double = 0
    /// The monitor itself was told to terminate.
    var monitorTerminated = false

    /// Seconds to wait after `quit` and after SIGTERM before the next step.
    static let stepSeconds = 3

    func millisecondsUntilDeadline() -> Int32 {
        guard let deadline else { return -1 }
        let d = deadline - .now
        let ms = d.milliseconds
        return ms <= 0 ? 0 : Int32(min(ms.rounded(.up), 3_600_000))
    }

    func deadlinePassed() -> Bool {
        guard let deadline else { return false }
        return deadline <= .now
    }
}

extension Supervisor {
    func beginStop(timeout: Double) {
        guard stop.phase == .none else { return }
        // A paused guest cannot answer the ACPI request: let it run for its shutdown.
        let wasPaused = status.state == .paused
        stop.phase = .powerdown
        stop.timeoutSeconds = timeout
        stop.deadline = .now + .milliseconds(Int(timeout * 1000))
        status.stopDeadline = Date().addingTimeInterval(timeout)
        status.state = .stopping
        status.detail = "graceful stop (ACPI powerdown)"
        writeStatus()
        if timeout <= 0 {
            escalateStop()
        } else {
            if wasPaused { execute("cont") }
            execute("system_powerdown")
        }
    }

    func escalateStop() {
        switch stop.phase {
        case .none, .kill:
            stop.deadline = nil
        case .powerdown:
            stop.phase = .quit
            stop.deadline = .now + .seconds(StopPlan.stepSeconds)
            log.write("stop: guest did not power off in \(stop.timeoutSeconds)s, sending quit")
            execute("quit")
        case .quit:
            stop.phase = .terminate
            stop.deadline = .now + .seconds(StopPlan.stepSeconds)
            log.write("stop: QEMU did not quit, sending SIGTERM")
            _ = Glibc.kill(qemuPid, SIGTERM)
        case .terminate:
            stop.phase = .kill
            stop.deadline = nil
            log.write("stop: QEMU ignored SIGTERM, sending SIGKILL")
            _ = Glibc.kill(qemuPid, SIGKILL)
        }
    }

    func killNow() {
        stop.phase = .kill
        stop.deadline = nil
        if status.state != .stopping { status.state = .stopping; status.detail = "killing"; writeStatus() }
        _ = Glibc.kill(qemuPid, SIGKILL)
    }

    func handleSignals() {
        while true {
            let sig = unitop_signalfd_read(signalFd)
            if sig <= 0 { break }
            switch sig {
            case SIGCHLD: reap()
            case SIGTERM, SIGINT:
                log.write("monitor received signal \(sig): stopping QEMU")
                stop.monitorTerminated = true
                if stop.phase == .none { beginStop(timeout: 0) }
            default: break
            }
        }
        reap()
    }

    func reap() {
        guard !finished else { return }
        var st: Int32 = 0
        let r = waitpid(qemuPid, &st, WNOHANG)
        if r == qemuPid { finish(waitStatus: st) }
    }

    /// Records how QEMU ended, tells everyone, removes the sockets.
    func finish(waitStatus st: Int32) {
        // Events QEMU sent just before exiting (SHUTDOWN, GUEST_PANICKED) decide the verdict.
        while !qmp.closed {
            guard let bytes = qmp.readAvailable(), !bytes.isEmpty else { break }
            handleQMPBytes(bytes)
        }
        drainSerial()
        stopReadiness()
        let exit = classify(WaitStatus(st))
        log.write("qemu ended: \(exit.state.rawValue) code=\(exit.exitCode.map(String.init) ?? "-") \(exit.reason)")
        do { try FileIO.writeJSON(exit, files.exit) } catch { log.write("cannot write exit record: \(error)") }
        status.state = exit.state
        status.detail = exit.reason
        status.stopDeadline = nil
        writeStatus()
        failPendingCommands()
        for c in controlClients { c.flush() }
        for p in files.sockets { unlink(p) }
        console.close()
        finished = true
    }

    func classify(_ w: WaitStatus) -> ExitRecord {
        ExitVerdict(crashReason: crashReason, stop: stop, shutdownReason: shutdownReason,
                    stderrTail: QEMUStderr.lastLine(files.qemuStderr)).record(for: w)
    }

}

/// A decoded `waitpid` status.
struct WaitStatus {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    /// Exit code when the process exited normally.
    var exitCode: Int? { raw & 0x7f == 0 ? Int((raw >> 8) & 0xff) : nil }
    /// Terminating signal when it was killed.
    var signal: Int32? {
        let s = raw & 0x7f
        return s != 0 && s != 0x7f ? s : nil
    }
}

/// Reads QEMU's own error output (bounded).
enum QEMUStderr {
    static let maxBytes = 16 << 10

    /// The whole (bounded) stderr text, trimmed.
    static func text(_ path: String) -> String {
        let bytes = FileIO.readSmall(path, limit: maxBytes) ?? []
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func lastLine(_ path: String) -> String? {
        text(path).split(separator: "\n").last.map(String.init)
    }
}
