import Foundation

/// The boot format detected from an image file's bytes.
public enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case multiboot
    case pvh
    case linuxBzImage = "linux-bzimage"
    case rawDisk = "raw-disk"
    case qcow2
    case unknown
}

/// Launch defaults read from an image's sidecar `NAME.toml`.
public struct ImageDefaults: Codable, Sendable, Equatable {
    public var memoryMiB: Int?
    public var cpus: Int?
    public var machine: String?
    public var append: String?
    public var description: String?
    /// `net`: the network (a `publish` list alone implies `user`).
    public var network: NetworkMode?
    /// `publish`: published ports.
    public var ports: [PortMapping]?
    /// `initrd`: absolute (a relative path is taken from the sidecar's folder).
    public var initrd: String?
    /// `volumes`: shared folders.
    public var volumes: [VolumeMount]?
    /// `disks`: extra drives.
    public var disks: [DiskRequest]?

    public init(memoryMiB: Int? = nil, cpus: Int? = nil, machine: String? = nil, append: String? = nil, description: String? = nil,
                network: NetworkMode? = nil, ports: [PortMapping]? = nil, initrd: String? = nil,
                volumes: [VolumeMount]? = nil, disks: [DiskRequest]? = nil) {
        self.memoryMiB = memoryMiB; self.cpus = cpus; self.machine = machine; self.append = append
        self.description = description; self.network = network; self.ports = ports; self.initrd = initrd
        self.volumes = volumes; self.disks = disks
    }

    enum CodingKeys: String, CodingKey {
        case memoryMiB, cpus, machine, append, description, network, ports, initrd, volumes, disks
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(memoryMiB, forKey: .memoryMiB)
        try c.encodeIfPresent(cpus, forKey: .cpus)
        try c.encodeIfPresent(machine, forKey: .machine)
        try c.encodeIfPresent(append, forKey: .append)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(network, forKey: .network)
        try c.encodeIfPresent(ports, forKey: .ports)
        try c.encodeIfPresent(initrd, forKey: .initrd)
        try c.encodeIfPresent(volumes, forKey: .volumes)
        try c.encodeIfPresent(disks?.map { $0.path + ($0.readOnly ? ":ro" : "") }, forKey: .disks)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        memoryMiB = try c.decodeIfPresent(Int.self, forKey: .memoryMiB)
        cpus = try c.decodeIfPresent(Int.self, forKey: .cpus)
        machine = try c.decodeIfPresent(String.self, forKey: .machine)
        append = try c.decodeIfPresent(String.self, forKey: .append)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        network = try c.decodeIfPresent(NetworkMode.self, forKey: .network)
        ports = try c.decodeIfPresent([PortMapping].self, forKey: .ports)
        initrd = try c.decodeIfPresent(String.self, forKey: .initrd)
        volumes = try c.decodeIfPresent([VolumeMount].self, forKey: .volumes)
        disks = try c.decodeIfPresent([String].self, forKey: .disks)?.compactMap { try? DiskRequest.parse($0, baseDirectory: "/") }
    }
}

/// An image file found in an image directory or named on the command line.
///
/// Encodes to the `images --json` object of the command-line contract (nil as `null`).
public struct Image: Codable, Sendable, Equatable, Identifiable {
    public var id: String { path }
    /// Display name: the file name without a `.elf`/`.img`-like extension, or the Unikraft app name.
    public var name: String
    /// Absolute path.
    public var path: String
    public var format: ImageFormat
    /// `x86_64`, `i386`, `aarch64`, … or nil when unknown.
    public var arch: String?
    public var sizeBytes: UInt64
    public var modifiedAt: Date?
    public var bootable: Bool
    /// Why it is not bootable; nil when bootable.
    public var reason: String?
    /// Sidecar defaults, when a valid sidecar exists.
    public var defaults: ImageDefaults?
    /// A problem with the sidecar (it is then ignored), if any.
    public var sidecarError: String?
    /// Detected from the image itself (its `.uk_*` ELF sections): a Unikraft kernel.
    public var unikraft: Bool = false
    /// What the inspector checked of a disk image (boot signature, qcow2 header), if it is one.
    public var diskCheck: String?
    /// The host label of the host that stores the image (see ``ImageStoring``); nil for this
    /// machine's catalog. JSON `host`: null or the label.
    public var host: String?

    public init(
        name: String, path: String, format: ImageFormat, arch: String?, sizeBytes: UInt64,
        modifiedAt: Date?, bootable: Bool, reason: String?, defaults: ImageDefaults? = nil,
        sidecarError: String? = nil
    ) {
        self.name = name; self.path = path; self.format = format; self.arch = arch
        self.sizeBytes = sizeBytes; self.modifiedAt = modifiedAt; self.bootable = bootable
        self.reason = reason; self.defaults = defaults; self.sidecarError = sidecarError
    }

    enum CodingKeys: String, CodingKey {
        case name, path, format, arch, sizeBytes, modifiedAt, bootable, reason, defaults, sidecarError
        case unikraft, diskCheck, host
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(path, forKey: .path)
        try c.encode(format, forKey: .format)
        try c.encode(arch, forKey: .arch)
        try c.encode(sizeBytes, forKey: .sizeBytes)
        try c.encode(modifiedAt, forKey: .modifiedAt)
        try c.encode(bootable, forKey: .bootable)
        try c.encode(reason, forKey: .reason)
        try c.encode(defaults, forKey: .defaults)
        try c.encode(sidecarError, forKey: .sidecarError)
        try c.encode(unikraft, forKey: .unikraft)
        try c.encode(diskCheck, forKey: .diskCheck)
        try c.encode(host, forKey: .host)
    }
}
