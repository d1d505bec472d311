import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// QMP traffic: commands with completions, and events turned into state changes.
extension Supervisor {
    /// Sends a QMP command; `completion` runs when its reply arrives (or at once if QMP is gone).
    /// `quiet` keeps a frequent command (the readiness probe's) out of the monitor log.
    func execute(_ command: String, arguments: [String: Any]? = nil, quiet: Bool = false,
                 _ completion: @escaping (Result<QMPValue, QMPFailure>) -> Void = { _ in }) {
        guard !qmp.closed else {
            completion(.failure(QMPFailure(message: "QEMU is not answering (QMP closed)")))
            return
        }
        let id = nextCommandId
        nextCommandId += 1
        pendingCommands[id] = completion
        if !quiet { log.write("qmp -> \(command)") }
        qmp.send(QMPMessage.command(command, arguments: arguments, id: id))
    }

    func handleQMPReadiness(_ revents: Int16) {
        if revents & Int16(POLLOUT) != 0 { qmp.flush() }
        guard revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { return }
        guard let bytes = qmp.readAvailable() else {
            log.write("qmp connection closed")
            failPendingCommands()
            return
        }
        handleQMPBytes(bytes)
    }

    func handleQMPBytes(_ bytes: [UInt8]) {
        for item in qmp.lines.append(bytes) {
            switch item {
            case .oversized(let n): log.write("qmp: dropped an oversized message (\(n) bytes)")
            case .line(let line): handleQMPLine(line)
            }
        }
    }

    /// Decodes and dispatches one QMP line.
    func handleQMPLine(_ line: [UInt8]) {
        guard !line.isEmpty else { return }
        let message: QMPMessage
        do { message = try QMPMessage.decode(line) } catch { log.write("qmp: undecodable message (\(error))"); return }
        if case .event(name: "RESUME", data: _) = message { noteResume(line) }
        dispatch(message)
    }

    func failPendingCommands() {
        let pending = pendingCommands
        pendingCommands.removeAll()
        for (_, c) in pending.sorted(by: { $0.key < $1.key }) {
            c(.failure(QMPFailure(message: "QEMU closed its QMP connection")))
        }
    }

    func dispatch(_ message: QMPMessage) {
        switch message {
        case .greeting: break
        case .success(let id, let value):
            if let id, let c = pendingCommands.removeValue(forKey: id) { c(.success(value)) }
        case .error(let id, let cls, let desc):
            log.write("qmp error \(cls): \(desc)")
            if let id, let c = pendingCommands.removeValue(forKey: id) { c(.failure(QMPFailure(message: desc))) }
        case .event(let name, let data):
            handleEvent(name, data)
        }
    }

    func handleEvent(_ name: String, _ data: QMPValue) {
        log.write("qmp event \(name) \(data)")
        switch name {
        case "STOP":
            execute("query-status") { [self] r in
                guard case .success(let v) = r else { return }
                switch v["status"]?.string ?? "" {
                case "internal-error": crash("KVM internal error (emulation failure)")
                case "guest-panicked": crash("guest panicked")
                case "io-error": crash("QEMU reported an I/O error")
                case "shutdown": break
                case let other:
                    if status.state == .running { setState(.paused, detail: other == "paused" ? nil : other) }
                }
            }
        case "RESUME":
            if status.state == .paused || status.state == .starting { setState(.running) }
        case "RESET":
            let reason = data["reason"]?.string ?? ""
            if data["guest"]?.bool == true && stop.phase == .none {
                // The firmware answers a warm reset with a few hard resets of its own: expected
                // right after our system_reset until the guest prints, a crash otherwise.
                if let until = firmwareResetGrace, ContinuousClock.now < until, awaitingFirstByte {
                    log.write("firmware reset after restart (ignored)")
                } else {
                    crash("guest reset (triple fault?)")
                }
            } else if reason == "host-qmp-system-reset" {
                firmwareResetGrace = .now + .seconds(10)
                // A restart: measure the boot again.
                restartBootClock()
            }
        case "POWERDOWN":
            if status.state != .stopping { setState(.stopping, detail: "ACPI powerdown requested") }
        case "SHUTDOWN":
            let reason = data["reason"]?.string ?? "unknown"
            shutdownReason = reason
            if reason == "guest-panic" { crash("guest panicked") }
        case "GUEST_PANICKED":
            crash("guest panicked")
        default:
            break
        }
    }

    /// Records a crash (the first reason wins) and makes QEMU quit.
    func crash(_ reason: String) {
        if crashReason == nil {
            crashReason = reason
            log.write("crash: \(reason)")
            status.detail = reason
            writeStatus()
        }
        if stop.phase == .none || stop.phase == .powerdown {
            stop.phase = .quit
            stop.deadline = .now + .seconds(3)
            execute("quit")
        }
    }
}
