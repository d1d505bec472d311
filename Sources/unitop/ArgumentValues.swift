import Models

/// Parses and checks option values; a bad value is a failure (exit 1) with one clear line,
/// not a usage error. Launch values (cpus, memory, machine, accel, append) are checked by
/// ``LaunchLimits`` in Models, shared with the TUI and the backends.
enum ArgumentValues {
    /// Longest accepted `--timeout`, in seconds.
    static let maxTimeoutSeconds = 3600.0

    static func timeout(_ text: String) throws(UnitopError) -> Double {
        guard let t = Double(text), t.isFinite, t >= 0, t <= maxTimeoutSeconds else {
            throw .invalidArgument("invalid timeout '\(text)': expected seconds from 0 to \(Int(maxTimeoutSeconds))")
        }
        return t
    }
}
