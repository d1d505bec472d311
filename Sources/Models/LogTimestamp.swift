#if canImport(Glibc)
import Glibc
#endif

/// UTC timestamps for log lines (`2026-11-28T14:46:58.674Z`), made with `gmtime_r` and plain
/// digit formatting: no date formatter, time zone database or locale is loaded, so the first log
/// line of a short-lived `unitop` command costs microseconds, not milliseconds.
public enum LogTimestamp {
    /// The current time, to the millisecond.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return format(seconds: Int(ts.tv_sec), milliseconds: Int(ts.tv_nsec / 1_000_000))
    }

    /// `seconds` since the epoch plus `milliseconds` (0-999) as ISO 8601 UTC.
    public static func format(seconds: Int, milliseconds: Int) -> String {
        var tmv = tm()
        var t = time_t(seconds)
        gmtime_r(&t, &tmv)
        var s = ""
        s.reserveCapacity(24)
        func put(_ value: Int, _ digits: Int) {
            var v = max(0, value)
            var chars = [Character](repeating: "0", count: digits)
            for i in stride(from: digits - 1, through: 0, by: -1) {
                chars[i] = Character(Unicode.Scalar(UInt8(48 + v % 10)))
                v /= 10
            }
            s.append(contentsOf: chars)
        }
        put(Int(tmv.tm_year) + 1900, 4); s.append("-")
        put(Int(tmv.tm_mon) + 1, 2); s.append("-")
        put(Int(tmv.tm_mday), 2); s.append("T")
        put(Int(tmv.tm_hour), 2); s.append(":")
        put(Int(tmv.tm_min), 2); s.append(":")
        put(Int(tmv.tm_sec), 2); s.append(".")
        put(min(999, milliseconds), 3); s.append("Z")
        return s
    }
}
