/// Launch values given explicitly: `unitop run`'s flags or the TUI start form's fields. nil means
/// "not given": the resolver falls back to the image sidecar, then the config, then the default.
public struct LaunchOverrides: Sendable, Equatable {
    public var memoryMiB: Int?
    public var cpus: Int?
    public var append: String?
    public var machine: String?
    public var accel: Accel?
    /// libvirt: define the domain persistently.
    public var persist: Bool
    /// `--net`.
    public var network: NetworkMode?
    /// `-p`: replaces the sidecar's list when given (non-nil).
    public var ports: [PortMapping]?
    /// `--initrd` (relative paths from the current directory).
    public var initrd: String?
    /// `-v`: replaces the sidecar's list when given.
    public var volumes: [VolumeMount]?
    /// `--disk`: replaces the sidecar's list when given.
    public var disks: [DiskRequest]?
    /// `unitop run IMAGE -- ARGS`.
    public var applicationArguments: [String]

    public init(memoryMiB: Int? = nil, cpus: Int? = nil, append: String? = nil, machine: String? = nil,
                accel: Accel? = nil, persist: Bool = false, network: NetworkMode? = nil, ports: [PortMapping]? = nil,
                initrd: String? = nil, volumes: [VolumeMount]? = nil, disks: [DiskRequest]? = nil,
                applicationArguments: [String] = []) {
        self.memoryMiB = memoryMiB; self.cpus = cpus; self.append = append; self.machine = machine
        self.accel = accel; self.persist = persist; self.network = network; self.ports = ports
        self.initrd = initrd; self.volumes = volumes; self.disks = disks
        self.applicationArguments = applicationArguments
    }
}

/// The one place a ``LaunchSpec`` is put together: each value comes from the explicit override
/// (flag or form field), else the image's sidecar `NAME.toml`, else the config's `[qemu]`
/// section, else the built-in default; every value is checked against ``LaunchLimits`` and an
/// error names where the bad value came from. `unitop run` and the TUI start form both use it;
/// the backends check what they receive with ``LaunchLimits/validate(_:)``.
public struct LaunchResolver: Sendable, Equatable {
    /// Built-in defaults, the last step of the precedence.
    public static let defaultMemoryMiB = 64
    public static let defaultCPUs = 1
    public static let defaultMachine = "pc"
    public static let defaultAccel = Accel.auto

    /// The config's `[qemu]` settings (machine, accel, CPU model).
    public var qemu: QEMUSettings

    public init(qemu: QEMUSettings = QEMUSettings()) { self.qemu = qemu }
    public init(config: Config) { self.qemu = config.qemu }

    static let sidecarSource = "the image sidecar"
    static let configSource = "the config ([qemu])"

    /// The fully resolved, checked spec for booting `imagePath` (whose sidecar defaults are
    /// `sidecar`) as `name`.
    public func resolve(name: String, imagePath: String, sidecar: ImageDefaults?,
                        overrides: LaunchOverrides = LaunchOverrides()) throws(UnitopError) -> LaunchSpec {
        let memory = try pick(overrides.memoryMiB, sidecar?.memoryMiB, nil, Self.defaultMemoryMiB) { v, s throws(UnitopError) in
            try LaunchLimits.checkMemory(v, source: s)
        }
        let cpus = try pick(overrides.cpus, sidecar?.cpus, nil, Self.defaultCPUs) { v, s throws(UnitopError) in
            try LaunchLimits.checkCPUs(v, source: s)
        }
        let append = try pick(overrides.append, sidecar?.append, nil, "") { v, s throws(UnitopError) in
            try LaunchLimits.checkAppend(v, source: s)
        }
        let machine = try pick(overrides.machine, sidecar?.machine, qemu.machine, Self.defaultMachine) { v, s throws(UnitopError) in
            try LaunchLimits.checkMachine(v, source: s)
        }
        let accel = overrides.accel ?? qemu.accel
        var spec = LaunchSpec(
            name: try InstanceName.validate(name), imagePath: imagePath, memoryMiB: memory, cpus: cpus,
            append: append, machine: machine, accel: accel, cpuModel: qemu.cpu, persist: overrides.persist)
        try resolveWorkload(into: &spec, sidecar: sidecar, overrides: overrides)
        return spec
    }

    /// Network, ports, initrd, volumes, disks and arguments: flag, else sidecar; every file is
    /// checked now, so a missing folder or an unreadable disk fails before anything starts.
    func resolveWorkload(into spec: inout LaunchSpec, sidecar: ImageDefaults?,
                         overrides: LaunchOverrides) throws(UnitopError) {
        let ports = overrides.ports ?? sidecar?.ports ?? []
        let explicitNetwork = overrides.network ?? sidecar?.network
        let network = explicitNetwork ?? (ports.isEmpty ? .none : .user)
        if !ports.isEmpty && network != .user {
            let given = explicitNetwork.map { "--net \($0)" } ?? ""
            throw .invalidArgument("published ports need user networking (--net user), not \(given.isEmpty ? "none" : given)")
        }
        spec.network = network
        spec.ports = ports
        if let initrd = overrides.initrd ?? sidecar?.initrd { spec.initrd = try WorkloadFiles.checkInitrd(initrd) }
        var volumes: [VolumeMount] = []
        for v in overrides.volumes ?? sidecar?.volumes ?? [] { volumes.append(try WorkloadFiles.checkVolume(v)) }
        spec.volumes = volumes
        var disks: [DiskAttachment] = []
        for d in overrides.disks ?? sidecar?.disks ?? [] {
            disks.append(try WorkloadFiles.checkDisk(path: d.path, readOnly: d.readOnly))
        }
        spec.disks = disks
        spec.applicationArguments = overrides.applicationArguments
        try LaunchLimits.validateWorkload(spec)
    }

    /// The spec for booting `image` as `name`; a malformed sidecar is an error (its values are
    /// never silently replaced by the config's).
    public func resolve(name: String, image: Image, overrides: LaunchOverrides = LaunchOverrides()) throws(UnitopError) -> LaunchSpec {
        if let error = image.sidecarError { throw .invalidArgument("image sidecar: \(error)") }
        var spec = try resolve(name: name, imagePath: image.path, sidecar: image.defaults, overrides: overrides)
        spec.unikraft = image.unikraft
        switch image.format {
        case .rawDisk: spec.bootDiskFormat = .raw
        case .qcow2: spec.bootDiskFormat = .qcow2
        default: break
        }
        if spec.bootDiskFormat != nil, spec.initrd != nil {
            throw .invalidArgument("--initrd needs a kernel image; \(image.path) is a disk image booted by the firmware")
        }
        try LaunchLimits.validateWorkload(spec)
        return spec
    }

    /// The first value given, checked and named by where it came from.
    private func pick<T>(_ flag: T?, _ sidecar: T?, _ config: T?, _ fallback: T,
                         check: (T, String?) throws(UnitopError) -> T) throws(UnitopError) -> T {
        if let flag { return try check(flag, nil) }
        if let sidecar { return try check(sidecar, Self.sidecarSource) }
        if let config { return try check(config, Self.configSource) }
        return fallback
    }
}
