#if canImport(Glibc)
import Glibc
#endif
import QEMUMonitor

// The per-instance supervisor started by the QEMU backend; not meant to be run by hand.
exit(QEMUMonitorProcess.run(arguments: Array(CommandLine.arguments.dropFirst())))
