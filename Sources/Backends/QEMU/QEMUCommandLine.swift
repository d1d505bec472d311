import Foundation
import Models
import QEMUMonitor

/// Builds the QEMU argv for a launch (an array, never a shell string).
enum QEMUCommandLine {
    /// The argv for `spec` with the resolved accelerator and machine.
    static func argv(spec: LaunchSpec, binary: String, accel: String, machine: String, cpuModel: String?,
                     files: InstanceFiles) -> [String] {
        var a = [binary, "-name", spec.name, "-nodefaults", "-no-user-config", "-display", "none",
                 "-machine", machine, "-accel", accel]
        if let cpuModel { a += ["-cpu", cpuModel] }
        a += ["-m", "\(spec.memoryMiB)M", "-smp", "\(spec.cpus)", "-kernel", spec.imagePath]
        a += ["-append", spec.append]
        a += ["-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
              "-device", "isa-debug-exit,iobase=0x501,iosize=2", "-device", "pvpanic",
              "-qmp", "unix:" + escapeOption(files.qmpSocket) + ",server=on,wait=off", "-S"]
        return a
    }

    /// QEMU option values double commas.
    static func escapeOption(_ s: String) -> String { s.replacingOccurrences(of: ",", with: ",,") }

    /// The CPU model: the spec's, else the config's, else `kvm64` under KVM (`host`/`max` abort
    /// on some nested hosts), else QEMU's default.
    static func cpuModel(spec: LaunchSpec, config: QEMUSettings, accel: String) -> String? {
        if let c = spec.cpuModel, !c.isEmpty { return c }
        if let c = config.cpu, !c.isEmpty { return c }
        return accel == "kvm" ? "kvm64" : nil
    }
}

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
        try? FileIO.makeDirectory(runtimeDirectory)
        try? FileIO.writeAtomically(cache, Array("\(key)\n\(ok ? "ok" : "fail")\n".utf8))
        return ok
    }

    private static func runProbe(binary: String) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [binary, "-machine", "pc", "-accel", "kvm", "-cpu", "kvm64", "-m", "16M", "-nodefaults",
                       "-no-user-config", "-display", "none", "-S", "-qmp", "stdio"]
        let inp = Pipe()
        p.standardInput = inp
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        inp.fileHandleForWriting.write(Data("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n".utf8))
        let deadline = Date().addingTimeInterval(probeTimeoutSeconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate(); p.waitUntilExit(); return false }
        try? inp.fileHandleForWriting.close()
        return p.terminationStatus == 0
    }
}
