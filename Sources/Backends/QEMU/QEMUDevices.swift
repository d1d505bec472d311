import Models

/// The QEMU options of a launch's workload devices (disks, network, shared folders), with the
/// virtio transport that fits the machine: PCI on `pc`/`q35`, MMIO on `microvm`.
///
/// Every value taken from the user (paths, names, tags) goes through
/// ``QEMUCommandLine/escapeOption(_:)``, so a comma in it cannot add an option. Disk formats
/// are always given (read from the file's bytes by ``WorkloadFiles``): QEMU never probes them.
struct QEMUDevices: Sendable {
    /// `microvm`: virtio devices are virtio-mmio (`-device virtio-*-device`).
    let mmio: Bool

    init(machine: String) { mmio = machine == "microvm" }

    /// `virtio-blk-pci` or `virtio-blk-device`, and so on.
    func virtio(_ kind: String) -> String { "virtio-\(kind)-" + (mmio ? "device" : "pci") }

    static func escape(_ s: String) -> String { QEMUCommandLine.escapeOption(s) }

    /// The image itself as the first drive, the one the firmware boots (bootindex 0). Writes go
    /// to a temporary overlay QEMU deletes when it exits (`snapshot=on`): the image stays as it
    /// was, so every run starts from it and several instances can boot one image at once.
    func bootDisk(path: String, format: DiskFormat) -> [String] {
        ["-drive", "if=none,id=boot,file=\(Self.escape(path)),format=\(format.rawValue),snapshot=on",
         "-device", virtio("blk") + ",drive=boot,bootindex=0"]
    }

    /// `--disk` drives, in order, as virtio-blk (read-only when asked).
    func disks(_ disks: [DiskAttachment]) -> [String] {
        var a: [String] = []
        for (i, d) in disks.enumerated() {
            a += ["-drive", "if=none,id=disk\(i),file=\(Self.escape(d.path)),format=\(d.format.rawValue)"
                    + (d.readOnly ? ",readonly=on" : ""),
                  "-device", virtio("blk") + ",drive=disk\(i)"]
        }
        return a
    }

    /// The network device and its backend; none for `.none`. Published ports are `hostfwd` rules
    /// of user networking (``LaunchLimits`` refuses ports on any other mode).
    func network(_ mode: NetworkMode, ports: [PortMapping], name: String) throws(UnitopError) -> [String] {
        let netdev: String
        switch mode {
        case .none:
            return []
        case .user:
            netdev = (["user", "id=net0"] + ports.map { "hostfwd=" + Self.escape(Self.hostForward($0)) })
                .joined(separator: ",")
        case .bridge(let bridge):
            netdev = "bridge,id=net0,br=\(Self.escape(bridge))"
        case .tap(let tap):
            netdev = "tap,id=net0,ifname=\(Self.escape(tap)),script=no,downscript=no"
        case .network:
            throw .unsupported("--net \(mode) is a libvirt network; the qemu backend takes none, user, bridge=NAME or tap=NAME")
        }
        // No iPXE option ROM on PCI (nothing here boots from the network): the firmware skips it.
        let device = virtio("net") + ",netdev=net0,mac=\(Self.macAddress(name))" + (mmio ? "" : ",romfile=")
        return ["-netdev", netdev, "-device", device]
    }

    /// `tcp:127.0.0.1:8080-:80` (the guest address empty: slirp's guest, 10.0.2.15); IPv6 host
    /// addresses in brackets.
    static func hostForward(_ p: PortMapping) -> String {
        "\(p.protocol.rawValue):\(p.displayAddress):\(p.hostPort)-:\(p.guestPort)"
    }

    /// A locally administered MAC in QEMU's 52:54:00 range, fixed per instance name: instances
    /// on one bridge do not all get QEMU's default 52:54:00:12:34:56.
    static func macAddress(_ name: String) -> String {
        var h: UInt32 = 0x811C_9DC5
        for b in name.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        let bytes = [0x52, 0x54, 0x00, Int((h >> 16) & 0xFF), Int((h >> 8) & 0xFF), Int(h & 0xFF)]
        return bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: ":")
    }

    /// Shared folders as virtio-9p, each mounted by its tag (read-only when asked).
    func volumes(_ volumes: [VolumeMount]) -> [String] {
        var a: [String] = []
        for (i, v) in volumes.enumerated() {
            a += ["-fsdev", "local,id=fs\(i),path=\(Self.escape(v.hostPath)),security_model=none" + (v.readOnly ? ",readonly=on" : ""),
                  "-device", virtio("9p") + ",fsdev=fs\(i),mount_tag=\(Self.escape(v.tag))"]
        }
        return a
    }
}
