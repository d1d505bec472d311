import CUnitopSys
import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// The running half of `unitop-monitor`: a single-threaded `poll()` loop that owns one QEMU
/// process, its QMP connection, its serial console and the control/console sockets.
final class Supervisor {
    let files: InstanceFiles
    let record: InstanceRecord
    let log: MonitorLog
    let qemuPid: Int32
    let signalFd: Int32
    /// QEMU's serial output (the read end of its stdout pipe).
    let serialFd: Int32
    /// QEMU's serial input (the write end of its stdin pipe).
    let guestInputFd: Int32
    let qmp: PeerConnection
    let controlListener: Int32
    let consoleListener: Int32
    let console: ConsoleLogWriter
    var controlClients: [PeerConnection] = []
    var consoleClients: [PeerConnection] = []
    /// Keyboard input waiting to be written to the guest.
    var guestInput: [UInt8] = []

    var status: StatusRecord
    /// When the guest was last started (cont) or reset, for the boot time.
    var bootClockStart: ContinuousClock.Instant
    var awaitingFirstByte = true
    /// When the first console byte since the boot clock started was read.
    var firstByteAt: ContinuousClock.Instant?
    /// The first RESUME (the launch's `cont`) has set the boot clock.
    var resumedOnce = false
    /// While set, serial output is left to accumulate until then (see ``serialCoalesceInterval``).
    var serialHoldUntil: ContinuousClock.Instant?
    /// Reused for every serial read.
    var serialBuffer = [UInt8](repeating: 0, count: Supervisor.serialReadBytes)
    /// QEMU closed its serial output (it is exiting).
    var serialClosed = false
    /// QEMU's serial input cannot be written any more (it exited).
    var guestInputClosed = false
    /// Until when one guest-initiated reset is expected (the firmware's, after a restart).
    var firmwareResetGrace: ContinuousClock.Instant?

    var nextCommandId = 100
    var pendingCommands: [Int: (Result<QMPValue, QMPFailure>) -> Void] = [:]

    // Exit classification.
    var crashReason: String?
    var shutdownReason: String?
    var stop = StopPlan()
    var finished = false
    /// Measures readyMillis while the guest has not accepted on its published port yet.
    var readiness: ReadinessProbe?

    struct QMPFailure: Error { var message: String }

    init(files: InstanceFiles, record: InstanceRecord, log: MonitorLog, launch: LaunchedQEMU,
         controlListener: Int32, consoleListener: Int32, console: ConsoleLogWriter,
         status: StatusRecord, bootClockStart: ContinuousClock.Instant) {
        self.files = files; self.record = record; self.log = log
        self.qemuPid = launch.pid; self.signalFd = launch.signalFd; self.serialFd = launch.serialFd
        self.guestInputFd = launch.guestInputFd
        self.qmp = launch.qmp
        self.controlListener = controlListener; self.consoleListener = consoleListener
        self.console = console; self.status = status; self.bootClockStart = bootClockStart
    }

    // MARK: loop

    /// Runs until QEMU has exited and the exit has been recorded.
    func run() {
        if !finished { armReadiness(afterReset: false) }
        while !finished {
            var fds: [pollfd] = []
            func add(_ fd: Int32, _ events: Int32) { fds.append(pollfd(fd: fd, events: Int16(events), revents: 0)) }
            add(signalFd, POLLIN)
            // Not watched while output is left to accumulate (see serialCoalesceInterval).
            add(serialClosed || serialHoldUntil != nil ? -1 : serialFd, POLLIN)
            add(guestInputClosed || guestInput.isEmpty ? -1 : guestInputFd, POLLOUT)
            add(qmp.closed ? -1 : qmp.fd, POLLIN | (qmp.wantsWrite ? POLLOUT : 0))
            add(controlListener, POLLIN)
            add(consoleListener, POLLIN)
            let polled = readiness.flatMap { p in p.fd >= 0 ? (probe: p, fd: p.fd) : nil }
            add(polled?.fd ?? -1, readiness?.pollEvents ?? 0)
            let fixed = fds.count
            let controls = controlClients, consoles = consoleClients
            for c in controls { add(c.fd, POLLIN | (c.wantsWrite ? POLLOUT : 0)) }
            for c in consoles { add(c.fd, POLLIN | (c.wantsWrite ? POLLOUT : 0)) }

            let timeout = Self.earlier(Self.earlier(stop.millisecondsUntilDeadline(), serialHoldMilliseconds()),
                                       readinessMilliseconds())
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 && errno != EINTR { log.write("poll failed: \(String(cString: strerror(errno)))"); break }

            if fds[0].revents != 0 { handleSignals() }
            if finished { break }
            serviceSerial(fds[1].revents)
            if fds[2].revents != 0 { writeGuestInput() }
            if fds[3].revents != 0 { handleQMPReadiness(fds[3].revents) }
            if fds[4].revents != 0 { acceptControl() }
            if fds[5].revents != 0 { acceptConsole() }
            serviceReadiness(fds[6].revents, polled: polled)
            var i = fixed
            for c in controls {
                if fds[i].revents != 0 { serviceControl(c, fds[i].revents) }
                i += 1
            }
            for c in consoles {
                if fds[i].revents != 0 { serviceConsole(c, fds[i].revents) }
                i += 1
            }
            controlClients.removeAll { c in if c.closed { c.close(); return true }; return false }
            consoleClients.removeAll { c in if c.closed { c.close(); return true }; return false }
            if stop.deadlinePassed() { escalateStop() }
        }
    }

    // MARK: control socket

    func acceptControl() {
        let fd = unitop_accept(controlListener)
        guard fd >= 0 else { return }
        if controlClients.count >= MonitorLimits.maxClients { _ = close(fd); return }
        controlClients.append(PeerConnection(fd: fd, maxLineBytes: MonitorLimits.controlRequestBytes, outputLimit: 1 << 20))
    }

    func serviceControl(_ c: PeerConnection, _ revents: Int16) {
        if revents & Int16(POLLOUT) != 0 { c.flush() }
        guard revents & Int16(POLLIN | POLLHUP | POLLERR) != 0, let bytes = c.readAvailable() else { return }
        for item in c.lines.append(bytes) {
            switch item {
            case .oversized: reply(c, ControlReply(ok: false, error: "request too long"))
            case .line(let line):
                guard let req = try? JSONCoding.decoder().decode(ControlRequest.self, from: Data(line)) else {
                    reply(c, ControlReply(ok: false, error: "malformed request"))
                    continue
                }
                handle(req, from: c)
            }
        }
    }

    func reply(_ c: PeerConnection, _ r: ControlReply) {
        guard let data = try? JSONCoding.encoder().encode(r) else { return }
        c.send([UInt8](data) + [0x0A])
    }

    func handle(_ req: ControlRequest, from c: PeerConnection) {
        log.write("control: \(req.op.rawValue)")
        let state = status.state
        func refuse(_ action: String) {
            reply(c, ControlReply(ok: false, error: "cannot \(action) '\(files.name)': it is \(state.rawValue)", status: status))
        }
        switch req.op {
        case .status:
            reply(c, ControlReply(ok: true, status: status))
        case .pause:
            guard state == .running else { return refuse("pause") }
            execute("stop") { [self] r in
                if case .success = r, status.state == .running { setState(.paused) }
                replyResult(c, r)
            }
        case .resume:
            guard state == .paused else { return refuse("resume") }
            execute("cont") { [self] r in
                if case .success = r, status.state == .paused { setState(.running) }
                replyResult(c, r)
            }
        case .restart:
            guard state == .running || state == .paused else { return refuse("restart") }
            execute("system_reset") { [self] r in
                if case .success = r, status.state == .paused {
                    execute("cont") { [self] r2 in
                        if case .success = r2 { setState(.running) }
                        replyResult(c, r2)
                    }
                    return
                }
                replyResult(c, r)
            }
        case .powerdown:
            guard state.isActive else { return refuse("power down") }
            execute("system_powerdown") { [self] r in replyResult(c, r) }
        case .stop:
            beginStop(timeout: max(0, min(req.timeout ?? 10, 86_400)))
            reply(c, ControlReply(ok: true, status: status))
        case .kill:
            killNow()
            reply(c, ControlReply(ok: true, status: status))
        }
    }

    func replyResult(_ c: PeerConnection, _ r: Result<QMPValue, QMPFailure>) {
        switch r {
        case .success: reply(c, ControlReply(ok: true, status: status))
        case .failure(let f): reply(c, ControlReply(ok: false, error: f.message, status: status))
        }
    }

    // MARK: status

    func setState(_ s: InstanceState, detail: String? = nil) {
        status.state = s
        status.detail = detail
        if s != .stopping { status.stopDeadline = nil }
        writeStatus()
    }

    func writeStatus() {
        status.updatedAt = Date()
        do { try FileIO.writeJSON(status, files.status) } catch { log.write("cannot write status: \(error)") }
    }
}
