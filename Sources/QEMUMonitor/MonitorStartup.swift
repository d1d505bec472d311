import CUnitopSys
import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// Why a launch failed, in words for the user.
struct LaunchError: Error { var message: String }

/// The startup phase. QEMU already runs (started with `-S` and the QMP prelude queued, see
/// ``MonitorHandoff``): record the pids, open the console log and the sockets, then read QMP
/// until QEMU has answered `qmp_capabilities` and `cont`, logging serial output meanwhile.
struct Startup {
    let qemuPid: Int32
    let serialFd: Int32
    let qmpFd: Int32
    let guestInputFd: Int32
    let signalFd: Int32
    var qemuReaped = false
    var exitStatus: Int32?
    /// Set by ``launch(files:record:log:)``, for QEMU's error output.
    var files: InstanceFiles?

    init(qemuPid: Int32, serialFd: Int32, qmpFd: Int32, guestInputFd: Int32, signalFd: Int32) {
        self.qemuPid = qemuPid; self.serialFd = serialFd; self.qmpFd = qmpFd; self.guestInputFd = guestInputFd
        self.signalFd = signalFd
    }

    mutating func launch(files: InstanceFiles, record: InstanceRecord, log: MonitorLog) throws -> Supervisor {
        self.files = files
        FileIO.setNonBlocking(serialFd)
        FileIO.setNonBlocking(qmpFd)
        FileIO.setNonBlocking(guestInputFd)
        if let me = PidRecord.current(pid: getpid()) {
            try? FileIO.writeAtomically(files.monitorPid, Array(me.text.utf8))
        }
        if let p = PidRecord.current(pid: qemuPid) { try? FileIO.writeAtomically(files.qemuPid, Array(p.text.utf8)) }
        log.write("monitor \(getpid()), qemu pid \(qemuPid): \(record.argv.joined(separator: " "))")
        try SecureDirectory.prepare(files.runtimeDirectory)
        let ctl = unitop_unix_listen(files.controlSocket, 16)
        guard ctl >= 0 else { throw LaunchError(message: "cannot listen on \(files.controlSocket): \(String(cString: strerror(-ctl)))") }
        let con = unitop_unix_listen(files.consoleSocket, 16)
        guard con >= 0 else { throw LaunchError(message: "cannot listen on \(files.consoleSocket): \(String(cString: strerror(-con)))") }
        let console = try ConsoleLogWriter(path: files.consoleLog, previousPath: files.consoleLogPrevious,
                                           maxBytes: record.consoleLogMaxBytes)
        let qmp = PeerConnection(fd: qmpFd, maxLineBytes: MonitorLimits.qmpMessageBytes, outputLimit: 1 << 20)
        let sup = Supervisor(files: files, record: record, log: log,
                             launch: LaunchedQEMU(pid: qemuPid, signalFd: signalFd, serialFd: serialFd,
                                                  guestInputFd: guestInputFd, qmp: qmp),
                             controlListener: ctl, consoleListener: con, console: console,
                             status: StatusRecord(state: .starting, qemuPid: qemuPid), bootClockStart: .now)
        sup.writeStatus()

        let deadline = ContinuousClock.now + .seconds(Int(QEMUMonitorProcess.startupTimeoutSeconds))
        let early = try handshake(sup, deadline: deadline)
        if sup.status.startedAt == nil { sup.status.startedAt = Date() }
        sup.status.state = .running
        sup.writeStatus()
        log.write(qemuReaped ? "qemu ended right after cont" : "qemu running")
        // Events that came with the handshake (RESUME, or an early STOP/RESET/panic) apply now.
        for line in early { sup.handleQMPLine(line) }
        if qemuReaped, let st = exitStatus { sup.finish(waitStatus: st) }
        return sup
    }

    /// Reads QMP until the replies to the prelude's `qmp_capabilities` and `cont` arrived; other
    /// messages are returned as raw lines for the supervisor. Serial output is logged meanwhile.
    /// QEMU ending after `cont` is a finished instance (the supervisor records it); ending before
    /// is a failed launch, reported with QEMU's own message.
    mutating func handshake(_ sup: Supervisor, deadline: ContinuousClock.Instant) throws -> [[UInt8]] {
        let qmp = sup.qmp
        var early: [[UInt8]] = []
        var resumed = false
        while !resumed {
            let exited = reapIfExited()
            if !exited {
                guard ContinuousClock.now < deadline else { throw LaunchError(message: "QEMU did not answer on QMP in time") }
                var fds = [pollfd(fd: qmp.fd, events: Int16(POLLIN | (qmp.wantsWrite ? POLLOUT : 0)), revents: 0),
                           pollfd(fd: signalFd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: sup.serialClosed ? -1 : serialFd, events: Int16(POLLIN), revents: 0)]
                // Woken by QMP, serial output or SIGCHLD (signalfd); the timeout is the deadline.
                _ = poll(&fds, 3, Self.millis(until: deadline))
                if fds[0].revents & Int16(POLLOUT) != 0 { qmp.flush() }
                if fds[2].revents & Int16(POLLIN | POLLHUP) != 0 { sup.readSerial() }
                guard fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { continue }
            }
            // After QEMU's exit everything it wrote is read, to learn whether `cont` happened.
            repeat {
                guard let bytes = qmp.readAvailable() else {
                    if exited || resumed { break }
                    try awaitExitAfterQMPClosed()
                    continue
                }
                if bytes.isEmpty { break }
                for item in qmp.lines.append(bytes) {
                    guard case .line(let line) = item, !line.isEmpty, let m = try? QMPMessage.decode(line) else { continue }
                    switch m {
                    case .greeting: break
                    case .success(let id?, _) where id == MonitorHandoff.contId: resumed = true
                    case .success(let id?, _) where id == MonitorHandoff.capabilitiesId: break
                    case .error(let id?, _, let desc) where id == MonitorHandoff.contId || id == MonitorHandoff.capabilitiesId:
                        throw LaunchError(message: "QMP: \(desc)")
                    default:
                        // The boot clock starts at QEMU's own RESUME time, before serial output is read.
                        if case .event(name: "RESUME", data: _) = m { sup.noteResume(line) }
                        early.append(line)
                    }
                }
            } while exited
            if exited && !resumed {
                // The guest ran (it wrote to its serial port, or QEMU reported RESUME): `cont`
                // took effect, and QEMU ended (a guest that exits at once) before its reply was
                // flushed. That is a finished instance, not a failed start.
                sup.drainSerial()
                if sup.firstByteAt != nil || early.contains(where: Self.isResume) { break }
                throw LaunchError(message: failureText(WaitStatus(exitStatus ?? 0)))
            }
        }
        return early
    }

    /// Milliseconds from now to `deadline` for `poll` (at least 1, rounded up).
    static func millis(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - .now
        let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: max(1, ms))
    }

    static func isResume(_ line: [UInt8]) -> Bool {
        if case .event(name: "RESUME", data: _)? = try? QMPMessage.decode(line) { return true }
        return false
    }

    /// QEMU closed QMP while starting: it is exiting. Waits briefly for it (returning once it is
    /// reaped); fails when it does not end.
    mutating func awaitExitAfterQMPClosed() throws {
        let until = ContinuousClock.now + .seconds(2)
        // QEMU's pidfd turns readable when it exits (whichever thread gets the SIGCHLD).
        let pidfd = unitop_pidfd_open(qemuPid)
        defer { if pidfd >= 0 { close(pidfd) } }
        while !reapIfExited() && ContinuousClock.now < until {
            var p = [pollfd(fd: signalFd, events: Int16(POLLIN), revents: 0),
                     pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            _ = poll(&p, 2, pidfd >= 0 ? Self.millis(until: until) : 10)
        }
        // Reaped: the handshake reads what QEMU left and decides whether the guest ran.
        if qemuReaped { return }
        throw LaunchError(message: "QEMU closed its QMP connection while starting")
    }

    /// Whether QEMU has exited (reaping it and keeping its status).
    mutating func reapIfExited() -> Bool {
        if qemuReaped { return true }
        while unitop_signalfd_read(signalFd) > 0 {}
        var st: Int32 = 0
        guard waitpid(qemuPid, &st, WNOHANG) == qemuPid else { return false }
        qemuReaped = true
        exitStatus = st
        return true
    }

    func failureText(_ w: WaitStatus) -> String {
        if let files {
            let text = QEMUStderr.text(files.qemuStderr)
            if !text.isEmpty { return text }
        }
        if let s = w.signal { return "QEMU was killed by signal \(s) while starting" }
        return "QEMU exited with status \(w.exitCode ?? -1) while starting"
    }

    /// Kills QEMU (when the monitor cannot take it over) and waits for it.
    mutating func killQEMU() {
        guard qemuPid > 0 && !qemuReaped else { return }
        _ = kill(qemuPid, SIGKILL)
        var st: Int32 = 0
        while waitpid(qemuPid, &st, 0) < 0 && errno == EINTR {}
        qemuReaped = true
    }

    /// Kills a half-started QEMU, removes the sockets, and returns the message for the user.
    mutating func cleanUpAfterFailure(_ error: Error, files: InstanceFiles) -> String {
        killQEMU()
        for p in files.sockets { unlink(p) }
        if let e = error as? LaunchError { return e.message }
        return "\(error)"
    }
}
