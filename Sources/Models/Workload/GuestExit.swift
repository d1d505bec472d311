/// What a guest's write to QEMU's isa-debug-exit port (0x501) means.
///
/// QEMU exits with status `(value << 1) | 1`. A value N is exit code N, except Unikraft's
/// convention (plat/common/x86/cpu_native.c): 41 is a clean halt (QEMU status 83) and shows as
/// `exited 0`; 42 is a crash (status 85) and shows as `crashed`. Both backends map through here,
/// so the same ending reads the same on each.
public enum GuestExit {
    /// Unikraft's clean-halt value.
    public static let unikraftHalt = 41
    /// Unikraft's crash value.
    public static let unikraftCrash = 42

    /// The isa-debug-exit value behind a QEMU exit status, or nil when the status cannot come
    /// from isa-debug-exit (even statuses).
    public static func debugExitValue(qemuStatus: Int) -> Int? {
        qemuStatus & 1 == 1 ? (qemuStatus - 1) / 2 : nil
    }

    /// State, exit code and reason for a guest that wrote `value` to the isa-debug-exit port.
    public static func outcome(debugExitValue value: Int) -> (state: InstanceState, exitCode: Int?, reason: String) {
        switch value {
        case unikraftHalt:
            return (.exited, 0, "guest halted (Unikraft: isa-debug-exit 41)")
        case unikraftCrash:
            return (.crashed, nil, "guest crashed (Unikraft: isa-debug-exit 42)")
        default:
            return (.exited, value, "guest exited (isa-debug-exit)")
        }
    }
}
