/// How the starting process hands a just-started QEMU to its `unitop-monitor`.
///
/// `unitop run` does not wait for the monitor program to load before QEMU starts: one spawn
/// (`unitop_spawn_supervised`) forks the detached monitor-to-be, which starts QEMU as its own
/// child and only then becomes `unitop-monitor DIR --qemu-pid PID`. The two talk over pipes and
/// a socket pair created beforehand, so nothing QEMU writes is lost while the monitor is loading:
///
/// - serial output: QEMU's stdout (`-chardev stdio`, non-blocking) → a 1 MiB pipe → the
///   monitor's ``serialFd``; serial input: the monitor's ``guestInputFd`` → a pipe → QEMU's stdin;
/// - QMP: QEMU's descriptor ``qemuQMPFd`` (`-chardev socket,fd=3` + `-mon`) ↔ the monitor's
///   ``qmpFd``. QEMU starts with `-S`; the starting process writes ``prelude``
///   (`qmp_capabilities`, then `cont`) into the socket before QEMU exists, so QEMU negotiates
///   and resumes as soon as its main loop runs. The guest never runs before events are on, so
///   none is missed (an early panic or reset is still seen), and it never waits for the monitor.
public enum MonitorHandoff {
    /// The monitor's descriptor for its one-line startup report (a pipe to the starting process).
    public static let reportFd: Int32 = 3
    /// The monitor's end (read) of QEMU's serial output pipe.
    public static let serialFd: Int32 = 4
    /// The monitor's end of the QMP socket pair.
    public static let qmpFd: Int32 = 5
    /// The monitor's end (write) of QEMU's serial input pipe.
    public static let guestInputFd: Int32 = 6
    /// QEMU's descriptor for its end of the QMP socket pair.
    public static let qemuQMPFd: Int32 = 3
    /// The monitor option that carries QEMU's pid.
    public static let qemuPidOption = "--qemu-pid"
    /// The chardev id of the monitor's QMP connection in QEMU's argv.
    public static let qmpChardevId = "unitop-qmp"

    /// Ids of the two prelude commands.
    public static let capabilitiesId = 1
    public static let contId = 2

    /// The QMP commands written before QEMU starts: capability negotiation, then `cont`.
    public static var prelude: [UInt8] {
        QMPMessage.command("qmp_capabilities", id: capabilitiesId) + QMPMessage.command("cont", id: contId)
    }

    /// QEMU options for the pre-connected QMP socket pair (descriptor ``qemuQMPFd``).
    public static var qemuOptions: [String] {
        ["-chardev", "socket,id=\(qmpChardevId),fd=\(qemuQMPFd)", "-mon", "chardev=\(qmpChardevId),mode=control"]
    }
}
