import CUnitopSys
import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// Why a launch failed, in words for the user.
struct LaunchError: Error { var message: String }

/// The startup phase: sockets, console log, QEMU with `-S`, QMP handshake, `cont`.
struct Startup {
    let files: InstanceFiles
    let record: InstanceRecord
    let log: MonitorLog
    let signalFd: Int32
    var qemuPid: Int32 = -1
    var qemuReaped = false
    var exitStatus: Int32?

    init(files: InstanceFiles, record: InstanceRecord, log: MonitorLog, signalFd: Int32) {
        self.files = files; self.record = record; self.log = log; self.signalFd = signalFd
    }

    mutating func launch() throws -> Supervisor {
        try FileIO.makeDirectory(files.runtimeDirectory)
        let ctl = unitop_unix_listen(files.controlSocket, 16)
        guard ctl >= 0 else { throw LaunchError(message: "cannot listen on \(files.controlSocket): \(String(cString: strerror(-ctl)))") }
        let con = unitop_unix_listen(files.consoleSocket, 16)
        guard con >= 0 else { throw LaunchError(message: "cannot listen on \(files.consoleSocket): \(String(cString: strerror(-con)))") }
        let console = try ConsoleLogWriter(path: files.consoleLog, previousPath: files.consoleLogPrevious,
                                           maxBytes: record.consoleLogMaxBytes)
        var sv: [Int32] = [-1, -1]
        guard unitop_socketpair(&sv) == 0 else { throw LaunchError(message: "socketpair failed") }
        let errFd = open(files.qemuStderr, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard errFd >= 0 else { throw LaunchError(message: "cannot create \(files.qemuStderr)") }
        unlink(files.qmpSocket)

        // argv as C strings, prepared before fork.
        var cargs: [UnsafeMutablePointer<CChar>?] = record.argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = unitop_spawn(record.argv[0], &cargs, sv[1], sv[1], errFd, -1, Int32(UNITOP_SPAWN_PDEATHSIG), &pid)
        close(sv[1])
        close(errFd)
        guard rc == 0 else {
            close(sv[0])
            throw LaunchError(message: "cannot run \(record.argv[0]): \(String(cString: strerror(rc)))")
        }
        qemuPid = pid
        if let p = PidRecord.current(pid: pid) { try? FileIO.writeAtomically(files.qemuPid, Array(p.text.utf8)) }
        FileIO.setNonBlocking(sv[0])
        log.write("qemu pid \(pid)")
        var status = StatusRecord(state: .starting, qemuPid: pid)
        try? FileIO.writeJSON(status, files.status)

        let deadline = ContinuousClock.now + .seconds(Int(QEMUMonitorProcess.startupTimeoutSeconds))
        let qmpFd = try connectQMP(deadline: deadline)
        let qmp = PeerConnection(fd: qmpFd, maxLineBytes: MonitorLimits.qmpMessageBytes, outputLimit: 1 << 20)
        FileIO.setNonBlocking(qmpFd)
        var early: [QMPMessage] = []
        // Greeting, capabilities, then cont.
        _ = try awaitMessage(qmp, deadline: deadline, early: &early) { if case .greeting = $0 { return true }; return false }
        qmp.send(QMPMessage.command("qmp_capabilities", id: 1))
        try awaitReply(qmp, id: 1, deadline: deadline, early: &early)
        let bootStart = ContinuousClock.now
        status.startedAt = Date()
        qmp.send(QMPMessage.command("cont", id: 2))
        do {
            try awaitReply(qmp, id: 2, deadline: deadline, early: &early)
        } catch where qemuReaped {
            // The guest ran and QEMU ended before the reply was read (a unikernel that exits in
            // milliseconds): that is a finished instance, not a failed launch.
            log.write("qemu ended right after cont")
        }
        status.state = .running
        let sup = Supervisor(files: files, record: record, log: log,
                             launch: LaunchedQEMU(pid: pid, signalFd: signalFd, serialFd: sv[0], qmp: qmp),
                             controlListener: ctl, consoleListener: con, console: console,
                             status: status, bootClockStart: bootStart)
        sup.writeStatus()
        for m in early { sup.dispatch(m) }
        if qemuReaped, let st = exitStatus { sup.finish(waitStatus: st) } else { log.write("qemu running") }
        return sup
    }

    /// Connects to QEMU's QMP socket once it exists, noticing an early QEMU exit.
    mutating func connectQMP(deadline: ContinuousClock.Instant) throws -> Int32 {
        while true {
            try checkAlive()
            if FileIO.exists(files.qmpSocket) {
                let fd = unitop_unix_connect(files.qmpSocket)
                if fd >= 0 { return fd }
            }
            guard ContinuousClock.now < deadline else { throw LaunchError(message: "QEMU did not open its QMP socket in time") }
            var p = pollfd(fd: signalFd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 10)
        }
    }

    /// Throws with QEMU's own message if it has exited.
    mutating func checkAlive() throws {
        while unitop_signalfd_read(signalFd) > 0 {}
        var st: Int32 = 0
        if waitpid(qemuPid, &st, WNOHANG) == qemuPid {
            qemuReaped = true
            exitStatus = st
            throw LaunchError(message: failureText(WaitStatus(st)))
        }
    }

    func failureText(_ w: WaitStatus) -> String {
        let text = QEMUStderr.text(files.qemuStderr)
        if !text.isEmpty { return text }
        if let s = w.signal { return "QEMU was killed by signal \(s) while starting" }
        return "QEMU exited with status \(w.exitCode ?? -1) while starting"
    }

    /// Reads QMP messages until `match` accepts one; other messages (events) are kept in `early`.
    mutating func awaitMessage(_ qmp: PeerConnection, deadline: ContinuousClock.Instant, early: inout [QMPMessage],
                               _ match: (QMPMessage) -> Bool) throws -> QMPMessage {
        while true {
            try checkAlive()
            var fds = [pollfd(fd: qmp.fd, events: Int16(POLLIN | (qmp.wantsWrite ? POLLOUT : 0)), revents: 0),
                       pollfd(fd: signalFd, events: Int16(POLLIN), revents: 0)]
            let left = deadline - .now
            guard left > .zero else { throw LaunchError(message: "QEMU did not answer on QMP in time") }
            _ = poll(&fds, 2, 50)
            if fds[0].revents & Int16(POLLOUT) != 0 { qmp.flush() }
            guard fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { continue }
            guard let bytes = qmp.readAvailable() else {
                // QEMU closed QMP: it is exiting; wait briefly for its status and message.
                for _ in 0..<200 { try checkAlive(); usleep(10_000) }
                throw LaunchError(message: "QEMU closed its QMP socket while starting")
            }
            for item in qmp.lines.append(bytes) {
                guard case .line(let line) = item, !line.isEmpty, let m = try? QMPMessage.decode(line) else { continue }
                if match(m) { return m }
                if case .event = m { early.append(m) }
                if case .error(_, _, let desc) = m { throw LaunchError(message: "QMP: \(desc)") }
            }
        }
    }

    mutating func awaitReply(_ qmp: PeerConnection, id: Int, deadline: ContinuousClock.Instant, early: inout [QMPMessage]) throws {
        _ = try awaitMessage(qmp, deadline: deadline, early: &early) { m in
            if case .success(let i, _) = m, i == id { return true }
            return false
        }
    }

    /// Kills a half-started QEMU, removes the sockets, and returns the message for the user.
    mutating func cleanUpAfterFailure(_ error: Error) -> String {
        if qemuPid > 0 && !qemuReaped {
            _ = kill(qemuPid, SIGKILL)
            var st: Int32 = 0
            while waitpid(qemuPid, &st, 0) < 0 && errno == EINTR {}
        }
        for p in files.sockets { unlink(p) }
        if let e = error as? LaunchError { return e.message }
        return "\(error)"
    }
}
