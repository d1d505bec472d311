import Foundation
import Models

/// The files of one QEMU instance: its state directory and its runtime sockets.
///
/// Shared by the backend (which creates the directory and reads it) and by `unitop-monitor`
/// (which owns the running instance and writes its status).
public struct InstanceFiles: Sendable, Equatable {
    public let name: String
    /// `$STATE/instances/NAME`.
    public let directory: String
    /// The runtime (socket) directory.
    public let runtimeDirectory: String

    public init(name: String, stateDirectory: String, runtimeDirectory: String) {
        self.name = name
        self.directory = stateDirectory + "/instances/" + name
        self.runtimeDirectory = runtimeDirectory
    }

    public init(name: String, directory: String, runtimeDirectory: String) {
        self.name = name
        self.directory = directory
        self.runtimeDirectory = runtimeDirectory
    }

    public var spec: String { directory + "/spec.json" }
    public var monitorPid: String { directory + "/monitor.pid" }
    public var qemuPid: String { directory + "/qemu.pid" }
    public var consoleLog: String { directory + "/console.log" }
    public var consoleLogPrevious: String { directory + "/console.log.1" }
    public var qemuStderr: String { directory + "/qemu.stderr" }
    public var monitorLog: String { directory + "/monitor.log" }
    public var status: String { directory + "/status.json" }
    public var exit: String { directory + "/exit.json" }
    public var qmpSocket: String { runtimeDirectory + "/" + name + ".qmp" }
    public var controlSocket: String { runtimeDirectory + "/" + name + ".ctl" }
    public var consoleSocket: String { runtimeDirectory + "/" + name + ".con" }
    public var sockets: [String] { [qmpSocket, controlSocket, consoleSocket] }

    /// Throws when a socket path would not fit a Unix socket address (108 bytes with the NUL).
    public func checkSocketPaths() throws(UnitopError) {
        let limit = 107
        for p in sockets where p.utf8.count > limit {
            throw .invalidArgument(
                "socket path \(p) is \(p.utf8.count) bytes, over the Unix limit of \(limit): "
                + "use a shorter runtime directory (UNITOP_RUNTIME_DIR) or instance name")
        }
    }
}

/// The version of an instance directory's files (`spec.json`, `status.json`, `exit.json`) and of
/// the monitor's control protocol. Every record carries it; a record without one was written by
/// unitop 0.1.0, which is format 1. A reader handles every format up to ``current`` and says so
/// plainly (``newerMessage(_:)``) instead of guessing at a newer one.
public enum StateFormat {
    /// What this build writes.
    public static let current = 1
    /// The format of a record that carries none.
    public static let unversioned = 1

    /// The format a record declares.
    public static func of(_ declared: Int?) -> Int { declared ?? unversioned }

    /// Why a record of `format` (newer than ``current``) is not read.
    public static func newerMessage(_ format: Int) -> String {
        "written by a newer unitop (state format \(format); this unitop reads formats \(unversioned) to \(current)): manage it with that version or a newer one"
    }
}

/// Just the format of a record, read before the record itself (a newer format may not decode).
public struct StateFormatProbe: Decodable, Sendable {
    public var format: Int?
}

/// `spec.json`: what was launched. Written once by the backend before the monitor starts.
public struct InstanceRecord: Codable, Sendable, Equatable {
    /// ``StateFormat`` of this file (nil: written by 0.1.0, format 1).
    public var format: Int? = StateFormat.current
    public var spec: LaunchSpec
    /// The image path as given.
    public var image: String
    /// The full QEMU argv (argv[0] is the binary).
    public var argv: [String]
    public var accel: String
    public var machine: String
    public var createdAt: Date
    public var consoleLogMaxBytes: Int
    public var runtimeDirectory: String

    public init(spec: LaunchSpec, image: String, argv: [String], accel: String, machine: String,
                createdAt: Date, consoleLogMaxBytes: Int, runtimeDirectory: String) {
        self.spec = spec; self.image = image; self.argv = argv; self.accel = accel
        self.machine = machine; self.createdAt = createdAt; self.consoleLogMaxBytes = consoleLogMaxBytes
        self.runtimeDirectory = runtimeDirectory
    }
}

/// `status.json`: the live state, rewritten atomically by the monitor on every change.
public struct StatusRecord: Codable, Sendable, Equatable {
    /// ``StateFormat`` of this file (nil: format 1).
    public var format: Int? = StateFormat.current
    public var state: InstanceState
    public var detail: String?
    public var startedAt: Date?
    /// Launch (`cont`) to the first console byte.
    public var bootMillis: Double?
    /// Launch (the same instant as ``bootMillis``) until the guest accepted a connection on the
    /// first published TCP port; nil until then and without one. Absent from older files.
    public var readyMillis: Double?
    public var stopDeadline: Date?
    public var updatedAt: Date
    public var qemuPid: Int32?

    public init(state: InstanceState, detail: String? = nil, startedAt: Date? = nil, bootMillis: Double? = nil,
                readyMillis: Double? = nil, stopDeadline: Date? = nil, updatedAt: Date = Date(), qemuPid: Int32? = nil) {
        self.state = state; self.detail = detail; self.startedAt = startedAt; self.bootMillis = bootMillis
        self.readyMillis = readyMillis
        self.stopDeadline = stopDeadline; self.updatedAt = updatedAt; self.qemuPid = qemuPid
    }
}

/// `exit.json`: how the instance ended. Written once, atomically, by the monitor.
public struct ExitRecord: Codable, Sendable, Equatable {
    /// ``StateFormat`` of this file (nil: format 1).
    public var format: Int? = StateFormat.current
    /// `exited`, `stopped` or `crashed`.
    public var state: InstanceState
    public var exitCode: Int?
    public var reason: String
    public var finishedAt: Date
    /// QEMU's raw wait status, for diagnosis.
    public var rawStatus: Int32?

    public init(state: InstanceState, exitCode: Int?, reason: String, finishedAt: Date = Date(), rawStatus: Int32? = nil) {
        self.state = state; self.exitCode = exitCode; self.reason = reason; self.finishedAt = finishedAt
        self.rawStatus = rawStatus
    }
}

/// A pid file: `PID STARTTIME` where STARTTIME is field 22 of `/proc/PID/stat`, so a recycled
/// pid is never mistaken for the original process.
public struct PidRecord: Sendable, Equatable {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) { self.pid = pid; self.startTime = startTime }

    /// The record for a live process, or nil when it is gone.
    public static func current(pid: Int32) -> PidRecord? {
        guard let t = ProcStat.read(pid: pid)?.startTime else { return nil }
        return PidRecord(pid: pid, startTime: t)
    }

    public var text: String { "\(pid) \(startTime)\n" }

    public static func parse(_ text: String) -> PidRecord? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count >= 2, let p = Int32(parts[0]), p > 0, let t = UInt64(parts[1]) else { return nil }
        return PidRecord(pid: p, startTime: t)
    }

    /// Whether this exact process is still alive (same pid and start time, not a zombie).
    public var isAlive: Bool {
        guard let s = ProcStat.read(pid: pid) else { return false }
        return s.startTime == startTime && s.state != "Z" && s.state != "X"
    }
}

/// Fields of `/proc/PID/stat` used for liveness and statistics.
public struct ProcStat: Sendable, Equatable {
    public var state: Character
    /// utime + stime in clock ticks.
    public var cpuTicks: UInt64
    public var startTime: UInt64

    /// Largest `/proc/PID/stat` accepted.
    static let maxBytes = 4096

    public static func read(pid: Int32) -> ProcStat? {
        guard let bytes = FileIO.readSmall("/proc/\(pid)/stat", limit: maxBytes) else { return nil }
        return parse(bytes)
    }

    /// Parses the stat line; the command name (field 2) may contain spaces and parentheses.
    public static func parse(_ bytes: [UInt8]) -> ProcStat? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); field N is rest[N-3].
        guard rest.count >= 20 else { return nil }
        func num(_ field: Int) -> UInt64? { UInt64(String(decoding: rest[field - 3], as: UTF8.self)) }
        guard let ut = num(14), let st = num(15), let start = num(22),
              let c = String(decoding: rest[0], as: UTF8.self).first else { return nil }
        return ProcStat(state: c, cpuTicks: ut + st, startTime: start)
    }

    /// Resident pages: field 2 of a `/proc/PID/statm` line (nil when it is not a number).
    public static func residentPages(statm bytes: [UInt8]) -> UInt64? {
        let fields = bytes.split(omittingEmptySubsequences: true) { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }
        guard fields.count >= 2 else { return nil }
        return UInt64(String(decoding: fields[1], as: UTF8.self))
    }
}
