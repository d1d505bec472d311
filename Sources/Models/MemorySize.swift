/// Parses memory sizes such as `64M`, `1G`, `512` (MiB), `65536K`, `64MiB` into MiB.
public enum MemorySize {
    /// Upper bound accepted anywhere (1 TiB).
    public static let maxMiB = 1 << 20

    public static func parseMiB(_ text: String) throws(UnitopError) -> Int {
        let bad = UnitopError.invalidArgument("invalid memory size '\(text)': expected e.g. 64M or 1G")
        var s = Substring(text.uppercased())
        guard !s.isEmpty, s.utf8.count <= 24 else { throw bad }
        if s.hasSuffix("IB") { s = s.dropLast(2) } else if s.hasSuffix("B") && s.count > 1 { s = s.dropLast() }
        var shift = 0  // power of 1024 relative to MiB; -1 means KiB
        switch s.last {
        case "K": shift = -1; s = s.dropLast()
        case "M": s = s.dropLast()
        case "G": shift = 1; s = s.dropLast()
        case "T": shift = 2; s = s.dropLast()
        default: break
        }
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(s) else { throw bad }
        let mib: Int
        switch shift {
        case -1: mib = n / 1024
        case 0: mib = n
        default:
            let (v, o) = n.multipliedReportingOverflow(by: 1 << (10 * shift))
            mib = o ? Int.max : v
        }
        guard mib >= 1 else { throw .invalidArgument("invalid memory size '\(text)': at least 1M is needed") }
        guard mib <= maxMiB else { throw .invalidArgument("invalid memory size '\(text)': more than 1T") }
        return mib
    }
}
