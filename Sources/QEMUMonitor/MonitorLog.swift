import Foundation
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
        let line = "\(ISO8601Stamp.now()) \(message)\n"
        written += line.utf8.count
        FileIO.writeAll(fd, Array(line.utf8))
    }
}

enum ISO8601Stamp {
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var tmv = tm()
        var t = ts.tv_sec
        gmtime_r(&t, &tmv)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday,
                      tmv.tm_hour, tmv.tm_min, tmv.tm_sec, Int(ts.tv_nsec / 1_000_000))
    }
}
