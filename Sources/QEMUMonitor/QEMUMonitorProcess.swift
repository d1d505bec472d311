/// Entry point of the `unitop-monitor` process (stub; the QEMU backend work replaces it).
public enum QEMUMonitorProcess {
    /// Runs the supervisor for the instance in `instanceDirectory`; returns the process exit status.
    public static func run(arguments: [String]) -> Int32 {
        return 1
    }
}
