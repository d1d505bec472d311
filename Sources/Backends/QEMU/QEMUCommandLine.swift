import CUnitopSys
import Foundation
import Models
import QEMUMonitor

/// Builds the QEMU argv for a launch (an array, never a shell string).
enum QEMUCommandLine {
    /// The argv for `spec` with the resolved accelerator and machine. Throws before anything
    /// starts when the workload cannot run on this backend or machine.
    static func argv(spec: LaunchSpec, binary: String, accel: String, machine: String, cpuModel: String?,
                     files: InstanceFiles, firmware: QEMUFirmware = .installed) throws(UnitopError) -> [String] {
        let devices = QEMUDevices(machine: machine)
        var a = [binary, "-name", escapeOption(spec.name), "-nodefaults", "-no-user-config", "-display", "none",
                 "-machine", machine, "-accel", accel]
        if let cpuModel { a += ["-cpu", cpuModel] }
        a += ["-m", "\(spec.memoryMiB)M", "-smp", "\(spec.cpus)"]
        a += try boot(spec, devices: devices, firmware: firmware)
        a += devices.disks(spec.disks)
        a += try devices.network(spec.network, ports: spec.ports, name: spec.name)
        a += devices.volumes(spec.volumes)
        a += ["-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
              "-device", "isa-debug-exit,iobase=0x501,iosize=2", "-device", "pvpanic"]
        // The monitor's own QMP connection is a socket pair set up before QEMU starts, with the
        // `cont` already queued (see MonitorHandoff); the Unix socket is for other QMP clients.
        a += MonitorHandoff.qemuOptions
        a += ["-qmp", "unix:" + escapeOption(files.qmpSocket) + ",server=on,wait=off", "-S"]
        return a
    }

    /// How the guest starts: `-kernel` (with `-append` and `-initrd`), or a disk image booted by
    /// the firmware from the first drive.
    static func boot(_ spec: LaunchSpec, devices: QEMUDevices, firmware: QEMUFirmware) throws(UnitopError) -> [String] {
        guard let format = spec.bootDiskFormat else {
            var a = ["-kernel", spec.imagePath, "-append", spec.kernelCommandLine]
            if let initrd = spec.initrd { a += ["-initrd", initrd] }
            return a
        }
        // A disk boots through its own boot loader: there is nothing to hand these to.
        if spec.initrd != nil {
            throw .invalidArgument("--initrd is for kernels: \(spec.imagePath) is a disk image, booted by its own boot loader")
        }
        let line = spec.kernelCommandLine
        if !line.isEmpty {
            throw .invalidArgument("\(spec.imagePath) is a disk image, booted by its own boot loader: it takes no kernel parameters or application arguments (got '\(line)')")
        }
        var a: [String] = []
        if devices.mmio {
            // QEMU's default microvm firmware (qboot) boots only -kernel; SeaBIOS's microvm build
            // boots a virtio-mmio disk.
            guard let bios = firmware.microvmSeaBIOS() else {
                throw .unsupported("booting a disk image on -machine microvm needs SeaBIOS's microvm build (\(QEMUFirmware.seaBIOSMicrovmCandidates.joined(separator: " or ")), which is not installed: use --machine pc")
            }
            a += ["-bios", bios]
        }
        return a + devices.bootDisk(path: spec.imagePath, format: format)
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

/// Where the firmware for a disk boot on `microvm` is found.
struct QEMUFirmware: Sendable {
    /// Paths tried, in order, for SeaBIOS's microvm build (Debian ships it in `seabios`; upstream
    /// QEMU installs it as `bios-microvm.bin`, which Debian points at qboot instead).
    static let seaBIOSMicrovmCandidates = ["/usr/share/seabios/bios-microvm.bin", "/usr/share/qemu/bios-microvm.bin"]
    /// Largest firmware file read to recognise it.
    static let maxFirmwareBytes = 1 << 20

    var candidates: [String]

    static let installed = QEMUFirmware(candidates: seaBIOSMicrovmCandidates)

    /// The first candidate that is SeaBIOS (its build carries the name), else nil.
    func microvmSeaBIOS() -> String? {
        let marker = Array("SeaBIOS".utf8)
        for path in candidates {
            guard let bytes = FileIO.readSmall(path, limit: Self.maxFirmwareBytes), bytes.count > marker.count else { continue }
            for i in 0...(bytes.count - marker.count) where bytes[i] == marker[0] && Array(bytes[i..<(i + marker.count)]) == marker {
                return path
            }
        }
        return nil
    }
}
