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
    var qmp: PeerConnection
}

/// Entry point of the `unitop-monitor` process.
///
/// Usage: `unitop-monitor INSTANCE_DIR`. The instance directory holds `spec.json` written by
/// the backend. If descriptor 3 is open, one JSON line (a ``ControlReply``) is written to it
/// once QEMU runs (`ok: true`) or failed to start (`error:` QEMU's own message), then it is closed.
public enum QEMUMonitorProcess {
    /// How long QEMU may take to open its QMP socket and greet.
    static let startupTimeoutSeconds = 60.0

    /// Runs the supervisor; returns the process exit status.
    public static func run(arguments: [String]) -> Int32 {
        // Look at descriptor 3 before opening anything that could take its number.
        let reportFd: Int32 = fcntl(3, F_GETFD) >= 0 ? 3 : -1
        let signalFd = unitop_signalfd_open()
        guard arguments.count == 1, let dir = arguments.first, dir.hasPrefix("/") else {
            FileIO.writeAll(2, Array("usage: unitop-monitor INSTANCE_DIR (started by unitop; not for manual use)\n".utf8))
            return 2
        }
        let report = Reporter(fd: reportFd)
        guard signalFd >= 0 else { report.fail("cannot create signalfd"); return 1 }
        guard let record = FileIO.readJSON(InstanceRecord.self, dir + "/spec.json") else {
            report.fail("cannot read \(dir)/spec.json")
            return 1
        }
        let files = InstanceFiles(name: record.spec.name, directory: dir, runtimeDirectory: record.runtimeDirectory)
        let log = MonitorLog(path: files.monitorLog)
        log.write("monitor \(getpid()) starting \(record.argv.joined(separator: " "))")
        if let me = PidRecord.current(pid: getpid()) {
            try? FileIO.writeAtomically(files.monitorPid, Array(me.text.utf8))
        }
        var startup = Startup(files: files, record: record, log: log, signalFd: signalFd)
        do {
            let sup = try startup.launch()
            report.succeed()
            sup.run()
            log.write("monitor exiting")
            return 0
        } catch {
            let message = startup.cleanUpAfterFailure(error)
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
