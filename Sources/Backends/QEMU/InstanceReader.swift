import Foundation
import Models
import QEMUMonitor
#if canImport(Glibc)
import Glibc
#endif

/// Builds ``Instance`` values from an instance's state directory, without talking to its monitor.
///
/// Cheap enough for listing many instances: a few small file reads and one `/proc` read per
/// active instance. A monitor that is gone without having written `exit.json` means the
/// instance crashed ("monitor died"); that verdict is written to `exit.json` so it sticks.
struct InstanceReader: Sendable {
    let stateDirectory: String
    let runtimeDirectory: String

    /// Largest spec/status/exit file read.
    static let maxRecordBytes = 256 << 10
    /// A monitor that has not written its pid file after this long is considered dead.
    static let monitorStartGraceSeconds = 30.0

    var instancesDirectory: String { stateDirectory + "/instances" }

    func files(_ name: String) -> InstanceFiles {
        InstanceFiles(name: name, stateDirectory: stateDirectory, runtimeDirectory: runtimeDirectory)
    }

    /// Names of the instance directories (sorted).
    func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: instancesDirectory)) ?? []
        return entries.filter { (try? InstanceName.validate($0)) != nil }.sorted()
    }

    /// The instance, or nil when its directory or spec does not exist (yet).
    func read(_ name: String, now: Date = Date()) -> Instance? {
        let f = files(name)
        if let probe = FileIO.readJSON(StateFormatProbe.self, f.spec, limit: Self.maxRecordBytes),
           StateFormat.of(probe.format) > StateFormat.current {
            return newer(name, f, format: StateFormat.of(probe.format))
        }
        guard let rec = FileIO.readJSON(InstanceRecord.self, f.spec, limit: Self.maxRecordBytes) else {
            return broken(name, f, now: now)
        }
        let status = FileIO.readJSON(StatusRecord.self, f.status, limit: Self.maxRecordBytes)
        var exit = FileIO.readJSON(ExitRecord.self, f.exit, limit: Self.maxRecordBytes)
        if exit == nil, monitorIsGone(f, createdAt: rec.createdAt, now: now) {
            // Re-check: the monitor writes exit.json just before it exits.
            exit = FileIO.readJSON(ExitRecord.self, f.exit, limit: Self.maxRecordBytes)
                ?? recordMonitorDeath(f)
        }
        var inst = Instance(
            name: name, backend: .qemu, host: HostLabel.local, image: rec.image,
            state: status?.state ?? .starting, stateDetail: status?.detail, stopDeadline: status?.stopDeadline,
            pid: status?.qemuPid, memoryMiB: rec.spec.memoryMiB, cpus: rec.spec.cpus,
            startedAt: status?.startedAt, bootMillis: status?.bootMillis,
            accel: rec.accel, machine: rec.machine, append: rec.spec.append, commandLine: rec.argv,
            stateDirectory: f.directory, consoleLogPath: f.consoleLog, managed: true)
        inst.readyMillis = status?.readyMillis
        inst.applyWorkload(of: rec.spec)
        if exit == nil, inst.state.isActive, let pid = status?.qemuPid, let stat = ProcStat.read(pid: pid),
           stat.state == "T" || stat.state == "t" {
            // Stopped by a signal from outside: it cannot run or answer QMP until continued.
            inst.stateDetail = "QEMU process \(pid) is stopped by a signal (kill -CONT \(pid) continues it)"
        }
        if let exit {
            inst.state = exit.state
            inst.exitCode = exit.exitCode
            inst.exitReason = exit.reason
            inst.stateDetail = exit.reason
            inst.stopDeadline = nil
            inst.pid = nil
        }
        return inst
    }

    /// A directory without a readable `spec.json` is listed as crashed (so it can be seen and
    /// removed) unless it may still be being created: no monitor yet and younger than
    /// ``creationGraceSeconds``.
    func broken(_ name: String, _ f: InstanceFiles, now: Date) -> Instance? {
        var st = stat()
        guard stat(f.directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
        let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec))
        if !FileIO.exists(f.monitorPid) && now.timeIntervalSince(modified) < Self.creationGraceSeconds { return nil }
        let reason = "broken state: spec.json is " + (FileIO.exists(f.spec) ? "not valid" : "missing")
        return Instance(name: name, backend: .qemu, host: HostLabel.local, image: "", state: .crashed, stateDetail: reason,
                        memoryMiB: 0, cpus: 0, exitReason: reason, stateDirectory: f.directory,
                        consoleLogPath: f.consoleLog, managed: true)
    }

    /// An instance whose files a newer unitop wrote: listed (so it is seen), never guessed at.
    /// Active while its monitor lives; every action on it is refused with the same message.
    func newer(_ name: String, _ f: InstanceFiles, format: Int) -> Instance {
        let why = StateFormat.newerMessage(format)
        let alive = monitorPid(f)?.isAlive ?? false
        return Instance(name: name, backend: .qemu, host: HostLabel.local, image: "", state: alive ? .running : .stopped,
                        stateDetail: why, memoryMiB: 0, cpus: 0, exitReason: alive ? nil : why,
                        stateDirectory: f.directory, consoleLogPath: f.consoleLog, managed: true)
    }

    /// The ``StateFormat`` of `name`'s spec when it is newer than this build reads, else nil.
    func newerFormat(_ name: String) -> Int? {
        guard let probe = FileIO.readJSON(StateFormatProbe.self, files(name).spec, limit: Self.maxRecordBytes) else { return nil }
        let format = StateFormat.of(probe.format)
        return format > StateFormat.current ? format : nil
    }

    /// How long a directory without `spec.json` may be mid-creation.
    static let creationGraceSeconds = 10.0

    /// The recorded monitor process, if its pid file exists.
    func monitorPid(_ f: InstanceFiles) -> PidRecord? {
        FileIO.readSmall(f.monitorPid, limit: 128).flatMap { PidRecord.parse(String(decoding: $0, as: UTF8.self)) }
    }

    func qemuPid(_ f: InstanceFiles) -> PidRecord? {
        FileIO.readSmall(f.qemuPid, limit: 128).flatMap { PidRecord.parse(String(decoding: $0, as: UTF8.self)) }
    }

    func monitorIsGone(_ f: InstanceFiles, createdAt: Date, now: Date) -> Bool {
        if let p = monitorPid(f) { return !p.isAlive }
        return now.timeIntervalSince(createdAt) > Self.monitorStartGraceSeconds
    }

    /// Writes the "monitor died" verdict (QEMU dies with its monitor: it runs with PDEATHSIG).
    func recordMonitorDeath(_ f: InstanceFiles) -> ExitRecord {
        if let q = qemuPid(f), q.isAlive { _ = Glibc.kill(q.pid, SIGKILL) }
        let rec = ExitRecord(state: .crashed, exitCode: nil, reason: "monitor died")
        if FileIO.exists(f.directory) {
            do { try FileIO.writeJSON(rec, f.exit) } catch {
                QEMUBackend.log.warning("cannot record a dead monitor's instance as crashed",
                                        metadata: ["instance": "\(f.name)", "error": "\(error)"])
            }
        }
        for s in f.sockets { unlink(s) }
        return rec
    }
}
