import CUnitopSys
import Foundation
import Models
import QEMUMonitor
#if canImport(Glibc)
import Glibc
#endif

/// Creates an instance directory and starts QEMU with its `unitop-monitor`, waiting for the
/// monitor's report: QEMU running, or QEMU's own error message (then nothing is left behind).
struct InstanceLauncher: Sendable {
    let paths: UnitopPaths
    let config: Config
    let reader: InstanceReader

    func launch(_ spec: LaunchSpec) throws {
        try LaunchLimits.validate(spec)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec.imagePath, isDirectory: &isDir), !isDir.boolValue else {
            throw UnitopError.imageNotFound(spec.imagePath)
        }
        let files = reader.files(spec.name)
        try files.checkSocketPaths()
        if spec.network == .user, !spec.ports.isEmpty, access(files.directory, F_OK) != 0 {
            // A taken port is an error now, before anything exists (QEMU's own message about a
            // hostfwd rule would come after the instance was created). An existing name is
            // reported as such below instead.
            try HostPorts.checkAvailable(spec.ports, instance: spec.name)
        }
        let monitor = try MonitorLocator.find()
        try QEMUBackend.prepareDirectories(paths)
        let binary = config.qemu.binary
        // The spec is resolved (LaunchResolver: flag > config > auto); only `auto` is decided here.
        let accel = resolveAccel(spec.accel, binary: binary)
        let machine = spec.machine
        let cpu = QEMUCommandLine.cpuModel(spec: spec, config: config.qemu, accel: accel)
        let argv = try QEMUCommandLine.argv(spec: spec, binary: binary, accel: accel, machine: machine, cpuModel: cpu, files: files)
        let record = InstanceRecord(spec: spec, image: spec.imagePath, argv: argv, accel: accel, machine: machine,
                                    createdAt: Date(), consoleLogMaxBytes: config.consoleLogMaxBytes,
                                    runtimeDirectory: paths.runtimeDirectory)

        try StateLock.withLock(stateDirectory: paths.stateDirectory) {
            guard mkdir(files.directory, 0o700) == 0 else {
                if errno == EEXIST { throw UnitopError.instanceExists(spec.name) }
                throw UnitopError.io(path: files.directory, message: String(cString: strerror(errno)))
            }
            do { try FileIO.writeJSON(record, files.spec) } catch {
                Self.removeDirectory(files.directory)
                throw UnitopError.io(path: files.spec, message: "\(error)")
            }
        }
        do {
            try spawnMonitor(monitor, qemuArgv: argv, files: files)
        } catch {
            removeInstance(files)
            if let e = error as? UnitopError { throw e }
            throw UnitopError.launchFailed(name: spec.name, message: "\(error)")
        }
    }

    func resolveAccel(_ a: Accel, binary: String) -> String {
        switch a {
        case .kvm: return "kvm"
        case .tcg: return "tcg"
        case .auto: return KVMProbe.kvmUsable(binary: binary, runtimeDirectory: paths.runtimeDirectory) ? "kvm" : "tcg"
        }
    }

    /// Starts QEMU and its detached monitor in one spawn, QEMU first (see ``MonitorHandoff``),
    /// then reads the monitor's one-line report.
    func spawnMonitor(_ monitor: String, qemuArgv: [String], files: InstanceFiles) throws {
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        func pair(_ make: (UnsafeMutablePointer<Int32>) -> Int32, _ what: String) throws -> [Int32] {
            var fds: [Int32] = [-1, -1]
            guard make(&fds) == 0 else { throw UnitopError.failed("cannot create a \(what)") }
            opened += fds
            return fds
        }
        let report = try pair(unitop_pipe, "pipe")
        let output = try pair(unitop_serial_pipe, "pipe")  // QEMU's stdout -> the monitor
        let input = try pair(unitop_pipe, "pipe")  // the monitor -> QEMU's stdin
        let qmp = try pair(unitop_socketpair, "socket pair")
        // Queued before QEMU exists: it negotiates and leaves -S as soon as its main loop runs.
        guard FileIO.writeAll(qmp[0], MonitorHandoff.prelude) else { throw UnitopError.failed("cannot write to a socket pair") }
        unlink(files.qmpSocket)
        let errFd = open(files.qemuStderr, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard errFd >= 0 else { throw UnitopError.io(path: files.qemuStderr, message: String(cString: strerror(errno))) }
        opened.append(errFd)
        let logFd = open(files.monitorLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if logFd >= 0 { opened.append(logFd) }

        let monitorArgv = [monitor, files.directory, MonitorHandoff.qemuPidOption, "0"]
        // Descriptor numbers as MonitorHandoff documents them.
        let monitorFds: [Int32] = [-1, logFd, logFd, report[1], output[0], qmp[0], input[1]]
        let qemuFds: [Int32] = [input[0], output[1], errFd, qmp[1]]
        // QEMU's stdout is non-blocking, as QEMU makes its stdin: a full pipe then holds the
        // guest's UART back instead of blocking QEMU (and its QMP) in write().
        let qemuNonBlocking: Int32 = 1 << 1
        var margs: [UnsafeMutablePointer<CChar>?] = monitorArgv.map { strdup($0) } + [nil]
        var qargs: [UnsafeMutablePointer<CChar>?] = qemuArgv.map { strdup($0) } + [nil]
        defer { for p in margs + qargs { free(p) } }
        var monitorPid: pid_t = 0, qemuPid: pid_t = 0, failed: Int32 = 0
        let rc = monitorFds.withUnsafeBufferPointer { mf in
            qemuFds.withUnsafeBufferPointer { qf in
                unitop_spawn_supervised(monitor, &margs, mf.baseAddress, Int32(mf.count), Int32(monitorArgv.count - 1),
                                        qemuArgv[0], &qargs, qf.baseAddress, Int32(qf.count), qemuNonBlocking,
                                        &monitorPid, &qemuPid, &failed)
            }
        }
        // Only the report's read end stays open here.
        for fd in opened where fd != report[0] { close(fd) }
        opened = [report[0]]
        guard rc == 0 else {
            let program = failed == 1 ? qemuArgv[0] : monitor
            throw UnitopError.launchFailed(name: files.name, message: "cannot run \(program): \(String(cString: strerror(rc)))")
        }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < QEMUBackend.maxReportBytes {
            let n = buf.withUnsafeMutableBytes { read(report[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
            if out.contains(0x0A) { break }
        }
        let line = out.split(separator: 0x0A).first.map(Array.init) ?? []
        guard let reply = try? JSONCoding.decoder().decode(ControlReply.self, from: Data(line)) else {
            let log = String(decoding: FileIO.readSmall(files.monitorLog, limit: 4096) ?? [], as: UTF8.self)
            throw UnitopError.launchFailed(name: files.name, message: "the monitor exited without reporting"
                + (log.isEmpty ? "" : ": " + log.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        guard reply.ok else {
            throw UnitopError.launchFailed(name: files.name, message: reply.error ?? "QEMU failed to start")
        }
    }

    func removeInstance(_ files: InstanceFiles) {
        do {
            try StateLock.withLock(stateDirectory: paths.stateDirectory) { Self.removeDirectory(files.directory) }
        } catch {
            QEMUBackend.log.warning("cannot take the state lock to clean up a failed start",
                                    metadata: ["instance": "\(files.name)", "error": "\(error)"])
        }
        for s in files.sockets { unlink(s) }
    }

    /// Removes what a failed start left; a failure to do so is logged (the start's own error
    /// is what the caller reports).
    static func removeDirectory(_ path: String) {
        do { try FileManager.default.removeItem(atPath: path) } catch {
            QEMUBackend.log.warning("cannot remove a failed start's directory", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}

/// An exclusive `flock` on `$STATE/lock`, serialising instance creation and removal across
/// unitop processes.
enum StateLock {
    static func withLock<T>(stateDirectory: String, _ body: () throws -> T) throws -> T {
        try? FileIO.makeDirectory(stateDirectory)
        let path = stateDirectory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw UnitopError.io(path: path, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw UnitopError.io(path: path, message: String(cString: strerror(errno))) }
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
