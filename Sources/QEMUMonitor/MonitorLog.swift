import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// The monitor's own diagnostic log (`monitor.log` in the instance directory), bounded in size.
final class MonitorLog {
    private var fd: Int32
    private var written = 0
    /// Past this size further lines are dropped (the log is for diagnosis, not history).
    static let maxBytes = 1 << 20

    init(path: String) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    }

    func write(_ message: String) {
        guard fd >= 0, written < Self.maxBytes else { return }
        let line = "\(LogTimestamp.now()) \(message)\n"
        written += line.utf8.count
        FileIO.writeAll(fd, Array(line.utf8))
    }
}
