/// Which accelerator to ask QEMU (or libvirt) for.
public enum Accel: String, Codable, Sendable, CaseIterable {
    /// KVM when `/dev/kvm` works, TCG otherwise.
    case auto, kvm, tcg
}

/// Everything needed to start an instance; backend-neutral.
///
/// Decoding accepts specs written before the workload fields existed (they default to none).
public struct LaunchSpec: Codable, Sendable, Equatable {
    /// Validated instance name (see ``InstanceName``).
    public var name: String
    /// Absolute path of the image to boot.
    public var imagePath: String
    public var memoryMiB: Int
    public var cpus: Int
    /// Kernel parameters (`--append`); see ``KernelCommandLine`` for what the guest is given.
    public var append: String
    /// Machine type: `pc` (default) or `microvm`.
    public var machine: String
    public var accel: Accel
    /// CPU model; nil lets the backend choose one that boots on this host.
    public var cpuModel: String?
    /// libvirt: define the domain persistently instead of creating a transient one.
    public var persist: Bool
    /// The image is a disk (raw with an MBR boot signature, or qcow2) booted from the first drive
    /// through the firmware; nil for a kernel booted with `-kernel`.
    public var bootDiskFormat: DiskFormat?
    /// The image is a Unikraft kernel (its parameters end with ` --`; see ``KernelCommandLine``).
    public var unikraft: Bool
    /// Application arguments (`unitop run IMAGE -- ARGS`).
    public var applicationArguments: [String]
    public var network: NetworkMode
    public var ports: [PortMapping]
    /// Absolute path of an initrd (a Unikraft CPIO root filesystem, a Linux initramfs).
    public var initrd: String?
    public var volumes: [VolumeMount]
    public var disks: [DiskAttachment]

    public init(
        name: String, imagePath: String, memoryMiB: Int = 64, cpus: Int = 1, append: String = "",
        machine: String = "pc", accel: Accel = .auto, cpuModel: String? = nil, persist: Bool = false,
        bootDiskFormat: DiskFormat? = nil, unikraft: Bool = false, applicationArguments: [String] = [],
        network: NetworkMode = .none, ports: [PortMapping] = [], initrd: String? = nil,
        volumes: [VolumeMount] = [], disks: [DiskAttachment] = []
    ) {
        self.name = name; self.imagePath = imagePath; self.memoryMiB = memoryMiB; self.cpus = cpus
        self.append = append; self.machine = machine; self.accel = accel; self.cpuModel = cpuModel
        self.persist = persist; self.bootDiskFormat = bootDiskFormat; self.unikraft = unikraft
        self.applicationArguments = applicationArguments; self.network = network; self.ports = ports
        self.initrd = initrd; self.volumes = volumes; self.disks = disks
    }

    /// The command line the guest is given (parameters, Unikraft's additions, arguments).
    public var kernelCommandLine: String { KernelCommandLine.compose(self) }

    enum CodingKeys: String, CodingKey {
        case name, imagePath, memoryMiB, cpus, append, machine, accel, cpuModel, persist
        case bootDiskFormat, unikraft, applicationArguments, network, ports, initrd, volumes, disks
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        imagePath = try c.decode(String.self, forKey: .imagePath)
        memoryMiB = try c.decode(Int.self, forKey: .memoryMiB)
        cpus = try c.decode(Int.self, forKey: .cpus)
        append = try c.decode(String.self, forKey: .append)
        machine = try c.decode(String.self, forKey: .machine)
        accel = try c.decode(Accel.self, forKey: .accel)
        cpuModel = try c.decodeIfPresent(String.self, forKey: .cpuModel)
        persist = try c.decodeIfPresent(Bool.self, forKey: .persist) ?? false
        bootDiskFormat = try c.decodeIfPresent(DiskFormat.self, forKey: .bootDiskFormat)
        unikraft = try c.decodeIfPresent(Bool.self, forKey: .unikraft) ?? false
        applicationArguments = try c.decodeIfPresent([String].self, forKey: .applicationArguments) ?? []
        network = try c.decodeIfPresent(NetworkMode.self, forKey: .network) ?? .none
        ports = try c.decodeIfPresent([PortMapping].self, forKey: .ports) ?? []
        initrd = try c.decodeIfPresent(String.self, forKey: .initrd)
        volumes = try c.decodeIfPresent([VolumeMount].self, forKey: .volumes) ?? []
        disks = try c.decodeIfPresent([DiskAttachment].self, forKey: .disks) ?? []
    }
}
