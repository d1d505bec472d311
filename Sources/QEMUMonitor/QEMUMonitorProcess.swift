import CUnitopSys
import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// What the startup phase hands to the running phase.
struct LaunchedQEMU {
    var pid: Int32
    var signalFd: Int32
    var serialFd: Int32
    var guestInputFd: Int32
    var qmp: PeerConnection
}

/// Entry point of the `unitop-monitor` process.
///
/// Usage: `unitop-monitor INSTANCE_DIR --qemu-pid PID`, started by the QEMU backend together
/// with QEMU (its child), with the descriptors of ``MonitorHandoff``. The instance directory
/// holds `spec.json` written by the backend. If descriptor 3 is open, one JSON line (a
/// ``ControlReply``) is written to it once QEMU runs (`ok: true`) or failed to start (`error:`
/// QEMU's own message), then it is closed.
public enum QEMUMonitorProcess {
    /// How long QEMU may take to greet and answer on QMP.
    static let startupTimeoutSeconds = 60.0

    /// Runs the supervisor; returns the process exit status.
    public static func run(arguments: [String]) -> Int32 {
        // Look at descriptor 3 before opening anything that could take its number.
        let reportFd: Int32 = fcntl(MonitorHandoff.reportFd, F_GETFD) >= 0 ? MonitorHandoff.reportFd : -1
        // Everything the monitor creates is private.
        umask(0o077)
        let signalFd = unitop_signalfd_open()
        guard arguments.count == 3, let dir = arguments.first, dir.hasPrefix("/"),
              arguments[1] == MonitorHandoff.qemuPidOption, let qemuPid = Int32(arguments[2]), qemuPid > 0,
              [MonitorHandoff.serialFd, MonitorHandoff.qmpFd, MonitorHandoff.guestInputFd].allSatisfy({ fcntl($0, F_GETFD) >= 0 }) else {
            FileIO.writeAll(2, Array("usage: unitop-monitor INSTANCE_DIR --qemu-pid PID (started by unitop; not for manual use)\n".utf8))
            return 2
        }
        let report = Reporter(fd: reportFd)
        // QEMU already runs: from here on, a failure must not leave it behind.
        var startup = Startup(qemuPid: qemuPid, serialFd: MonitorHandoff.serialFd, qmpFd: MonitorHandoff.qmpFd,
                              guestInputFd: MonitorHandoff.guestInputFd, signalFd: signalFd)
        guard signalFd >= 0 else { startup.killQEMU(); report.fail("cannot create signalfd"); return 1 }
        guard let record = FileIO.readJSON(InstanceRecord.self, dir + "/spec.json") else {
            startup.killQEMU()
            report.fail("cannot read \(dir)/spec.json")
            return 1
        }
        let files = InstanceFiles(name: record.spec.name, directory: dir, runtimeDirectory: record.runtimeDirectory)
        let log = MonitorLog(path: files.monitorLog)
        do {
            let sup = try startup.launch(files: files, record: record, log: log)
            report.succeed()
            sup.run()
            log.write("monitor exiting")
            return 0
        } catch {
            let message = startup.cleanUpAfterFailure(error, files: files)
            log.write("launch failed: \(message)")
            report.fail(message)
            return 1
        }
    }
}

/// Writes the one-line startup report to the starting process.
struct Reporter {
    let fd: Int32

    func succeed() { send(ControlReply(ok: true)) }
    func fail(_ message: String) { send(ControlReply(ok: false, error: message)) }

    private func send(_ r: ControlReply) {
        guard fd >= 0 else { return }
        if let data = try? JSONCoding.encoder().encode(r) { FileIO.writeAll(fd, [UInt8](data) + [0x0A]) }
        close(fd)
    }
}
