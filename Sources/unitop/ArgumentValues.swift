import Models

/// Parses and checks option values; a bad value is a failure (exit 1) with one clear line,
/// not a usage error.
enum ArgumentValues {
    static let cpuRange = 1...64
    static let machines = ["pc", "microvm"]
    /// Longest accepted `--timeout`, in seconds.
    static let maxTimeoutSeconds = 3600.0
    /// Longest accepted kernel command line, in bytes.
    static let maxAppendBytes = 4096

    static func cpus(_ text: String) throws(UnitopError) -> Int {
        guard let n = Int(text), cpuRange.contains(n) else {
            throw .invalidArgument("invalid cpus '\(text)': expected a number from \(cpuRange.lowerBound) to \(cpuRange.upperBound)")
        }
        return n
    }

    static func checkCPUs(_ n: Int, source: String) throws(UnitopError) -> Int {
        guard cpuRange.contains(n) else {
            throw .invalidArgument("invalid cpus \(n) in \(source): expected \(cpuRange.lowerBound) to \(cpuRange.upperBound)")
        }
        return n
    }

    static func accel(_ text: String) throws(UnitopError) -> Accel {
        guard let a = Accel(rawValue: text.lowercased()) else {
            throw .invalidArgument("invalid accel '\(text)': expected auto, kvm or tcg")
        }
        return a
    }

    static func machine(_ text: String) throws(UnitopError) -> String {
        guard machines.contains(text) else {
            throw .invalidArgument("invalid machine '\(text)': expected \(machines.joined(separator: " or "))")
        }
        return text
    }

    static func timeout(_ text: String) throws(UnitopError) -> Double {
        guard let t = Double(text), t.isFinite, t >= 0, t <= maxTimeoutSeconds else {
            throw .invalidArgument("invalid timeout '\(text)': expected seconds from 0 to \(Int(maxTimeoutSeconds))")
        }
        return t
    }

    static func append(_ text: String) throws(UnitopError) -> String {
        guard text.utf8.count <= maxAppendBytes else {
            throw .invalidArgument("kernel command line too long: \(text.utf8.count) bytes, at most \(maxAppendBytes)")
        }
        guard !text.unicodeScalars.contains(where: { $0.value == 0 || $0.value == 0x0A || $0.value == 0x0D }) else {
            throw .invalidArgument("kernel command line must be one line (no NUL, CR or LF)")
        }
        return text
    }
}
