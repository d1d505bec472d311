import CUnitopSys
import Foundation
import QEMUMonitor

/// Decides whether KVM works here: `/dev/kvm` opens read-write and a quick QEMU probe with
/// `-accel kvm -cpu kvm64` starts and quits. The verdict is cached in the runtime directory
/// for the current boot.
enum KVMProbe {
    static let probeTimeoutSeconds = 15.0

    static func kvmUsable(binary: String, runtimeDirectory: String) -> Bool {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        close(fd)
        let bootId = String(decoding: FileIO.readSmall("/proc/sys/kernel/random/boot_id", limit: 64) ?? [], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let cache = runtimeDirectory + "/kvm-probe"
        let key = "\(bootId) \(binary)"
        if let bytes = FileIO.readSmall(cache, limit: 4096) {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            if lines.count == 2, lines[0] == key { return lines[1] == "ok" }
        }
        let ok = runProbe(binary: binary)
        do {
            try FileIO.makeDirectory(runtimeDirectory)
            try FileIO.writeAtomically(cache, Array("\(key)\n\(ok ? "ok" : "fail")\n".utf8))
        } catch {
            QEMUBackend.log.info("cannot cache the KVM probe's result (the next start probes again)",
                                 metadata: ["path": "\(cache)", "error": "\(error)"])
        }
        return ok
    }

    private static func runProbe(binary: String) -> Bool {
        let argv = [binary, "-machine", "pc", "-accel", "kvm", "-cpu", "kvm64", "-m", "16M", "-nodefaults",
                    "-no-user-config", "-display", "none", "-S", "-qmp", "stdio"]
        var input: [Int32] = [-1, -1]
        guard unitop_pipe(&input) == 0 else { return false }
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        // The same spawn helper the launcher uses: clean signal mask, no inherited descriptors.
        let rc = unitop_spawn(binary, &cargs, input[0], -1, -1, -1, 0, &pid)
        close(input[0])
        guard rc == 0 else { close(input[1]); return false }
        let commands = Array("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n".utf8)
        _ = commands.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
        close(input[1])
        // Wait for the probe's exit on its pidfd, with the deadline as the poll timeout.
        let pidfd = unitop_pidfd_open(pid)
        defer { if pidfd >= 0 { close(pidfd) } }
        let deadline = ContinuousClock.now + .seconds(probeTimeoutSeconds)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            let left = deadline - .now
            guard left > .zero, pidfd >= 0 else {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return false
            }
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
        }
        return status == 0  // exited normally with status 0
    }
}
