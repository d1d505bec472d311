import Foundation
import Models

/// `readyMillis`: launch until the guest first accepts a connection on the first published TCP
/// port, measured by a ``ReadinessProbe`` in the poll loop from the instant `bootMillis` counts
/// from. A restart starts both measurements again.
extension Supervisor {
    /// Starts measuring (again, `afterReset`); no probe without a published TCP port on user
    /// networking.
    func armReadiness(afterReset: Bool) {
        readiness?.closeConnection()
        readiness = ReadinessProbe(spec: record.spec, afterReset: afterReset, start: .now)
        status.readyMillis = nil
    }

    /// Runs the probe after a poll: `revents` is the poll result of `polled` (the probe's
    /// connection when the set was built).
    func serviceReadiness(_ revents: Int16, polled: (probe: ReadinessProbe, fd: Int32)?) {
        guard let probe = readiness, !finished else { return }
        if let polled, polled.probe === probe, polled.fd == probe.fd, revents != 0,
           probe.handle(revents: revents) {
            return ready(probe, how: "the guest sent data")
        }
        switch probe.due() {
        case .nothing:
            break
        case .giveUp:
            log.write("readiness: port \(probe.port.hostPort) never accepted within \(probe.schedule.giveUpAfter); not measured")
            probe.closeConnection()
            readiness = nil
        case .look:
            probe.queryInFlight = true
            execute("human-monitor-command", arguments: ["command-line": "info usernet"], quiet: true) { [self] r in
                probe.queryInFlight = false
                // A restart may have armed a new probe meanwhile: this answer is about the old one.
                guard readiness === probe else { return }
                switch r {
                case .success(let v):
                    if let text = v.string,
                       probe.accepted(count: UsernetTable(text: text).acceptedConnections(hostPort: probe.port.hostPort)) {
                        ready(probe, how: "info usernet")
                    }
                case .failure(let f):
                    log.write("readiness: info usernet failed (\(f.message)); not measured")
                    probe.closeConnection()
                    readiness = nil
                }
            }
        }
    }

    /// The guest accepted: records readyMillis, closes the probe's connection and stops probing.
    func ready(_ probe: ReadinessProbe, how: String) {
        let d = ContinuousClock.now - bootClockStart
        let ms = d.milliseconds
        status.readyMillis = (max(0, ms) * 1000).rounded() / 1000
        probe.closeConnection()
        readiness = nil
        log.write("ready: port \(probe.port.hostPort) accepted after \(status.readyMillis ?? 0) ms (\(how); \(probe.connects) connections, \(probe.looks) looks"
                  + (probe.baseline > 0 ? ", \(probe.baseline) accepted before the reset" : "") + ")")
        writeStatus()
    }

    /// Milliseconds until the probe needs the loop (-1: no probe).
    func readinessMilliseconds() -> Int32 {
        guard let probe = readiness, !finished else { return -1 }
        return probe.millisecondsUntilDue()
    }

    /// Ends the probe (the guest ended).
    func stopReadiness() {
        guard let probe = readiness else { return }
        log.write("readiness: port \(probe.port.hostPort) not accepted before the end (\(probe.connects) connections, \(probe.looks) looks)")
        probe.closeConnection()
        readiness = nil
    }
}
