/// Which accelerator to ask QEMU (or libvirt) for.
public enum Accel: String, Codable, Sendable, CaseIterable {
    /// KVM when `/dev/kvm` works, TCG otherwise.
    case auto, kvm, tcg
}

/// Everything needed to start an instance; backend-neutral.
public struct LaunchSpec: Codable, Sendable, Equatable {
    /// Validated instance name (see ``InstanceName``).
    public var name: String
    /// Absolute path of the image to boot.
    public var imagePath: String
    public var memoryMiB: Int
    public var cpus: Int
    /// Kernel command line.
    public var append: String
    /// Machine type: `pc` (default) or `microvm`.
    public var machine: String
    public var accel: Accel
    /// CPU model; nil lets the backend choose one that boots on this host.
    public var cpuModel: String?
    /// libvirt: define the domain persistently instead of creating a transient one.
    public var persist: Bool

    public init(
        name: String, imagePath: String, memoryMiB: Int = 64, cpus: Int = 1, append: String = "",
        machine: String = "pc", accel: Accel = .auto, cpuModel: String? = nil, persist: Bool = false
    ) {
        self.name = name; self.imagePath = imagePath; self.memoryMiB = memoryMiB; self.cpus = cpus
        self.append = append; self.machine = machine; self.accel = accel; self.cpuModel = cpuModel
        self.persist = persist
    }
}
