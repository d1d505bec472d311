import Foundation
import Models

/// The workload of a domain unitop created (network, published ports, initrd, shared folders,
/// disks), kept in its ``DomainMetadata`` so every unitop process lists it the same way.
///
/// Stored as JSON text inside `<unitop:workload>`: new fields can be added without breaking
/// older readers, and domains created before it existed simply have none.
public struct DomainWorkload: Sendable, Equatable, Codable {
    public var network: NetworkMode
    public var ports: [PortMapping]
    /// The initrd the user named (not the copy libvirt boots).
    public var initrd: String?
    public var volumes: [VolumeMount]
    public var disks: [DiskAttachment]
    public var unikraft: Bool
    /// Set when the image is a disk booted through the firmware.
    public var bootDiskFormat: DiskFormat?
    /// Guest addresses unitop assigned itself (Unikraft on user networking).
    public var assignedAddresses: [String]
    /// The file the guest's isa-debugcon writes (port 0x501) on the libvirt host; nil when the
    /// domain has QEMU's isa-debug-exit instead (remote hosts, domains of older versions).
    public var exitLogPath: String?
    /// Files unitop copied for QEMU on this machine (kernel, initrd, boot disk), removed with
    /// the instance.
    public var copies: [String]

    public init(network: NetworkMode = .none, ports: [PortMapping] = [], initrd: String? = nil, volumes: [VolumeMount] = [],
                disks: [DiskAttachment] = [], unikraft: Bool = false, bootDiskFormat: DiskFormat? = nil,
                assignedAddresses: [String] = [], exitLogPath: String? = nil, copies: [String] = []) {
        self.network = network; self.ports = ports; self.initrd = initrd; self.volumes = volumes; self.disks = disks
        self.unikraft = unikraft; self.bootDiskFormat = bootDiskFormat; self.assignedAddresses = assignedAddresses
        self.exitLogPath = exitLogPath; self.copies = copies
    }

    /// What `spec` asks for.
    public init(spec: LaunchSpec, exitLogPath: String?, copies: [String]) {
        self.init(network: spec.network, ports: spec.ports, initrd: spec.initrd, volumes: spec.volumes, disks: spec.disks,
                  unikraft: spec.unikraft, bootDiskFormat: spec.bootDiskFormat,
                  assignedAddresses: KernelCommandLine.assignedAddresses(spec), exitLogPath: exitLogPath, copies: copies)
    }

    enum CodingKeys: String, CodingKey {
        case network, ports, initrd, volumes, disks, unikraft, bootDiskFormat, assignedAddresses, exitLogPath, copies
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        network = try c.decodeIfPresent(NetworkMode.self, forKey: .network) ?? .none
        ports = try c.decodeIfPresent([PortMapping].self, forKey: .ports) ?? []
        initrd = try c.decodeIfPresent(String.self, forKey: .initrd)
        volumes = try c.decodeIfPresent([VolumeMount].self, forKey: .volumes) ?? []
        disks = try c.decodeIfPresent([DiskAttachment].self, forKey: .disks) ?? []
        unikraft = try c.decodeIfPresent(Bool.self, forKey: .unikraft) ?? false
        bootDiskFormat = try c.decodeIfPresent(DiskFormat.self, forKey: .bootDiskFormat)
        assignedAddresses = try c.decodeIfPresent([String].self, forKey: .assignedAddresses) ?? []
        exitLogPath = try c.decodeIfPresent(String.self, forKey: .exitLogPath)
        copies = try c.decodeIfPresent([String].self, forKey: .copies) ?? []
    }

    /// The first published TCP port (the one the readiness probe watches), if any.
    public var probedPort: PortMapping? { ReadinessSchedule.probedPort(ports) }

    /// The network has a real interface whose addresses libvirt may know (lease or ARP).
    public var hasLookupableInterface: Bool {
        switch network {
        case .bridge, .tap, .network: return true
        case .none, .user: return false
        }
    }

    /// Copies the workload into `inst` (as ``Instance/applyWorkload(of:)`` does for a spec).
    public func apply(to inst: inout Instance) {
        inst.network = network; inst.ports = ports; inst.initrd = initrd; inst.volumes = volumes
        inst.disks = disks; inst.unikraft = unikraft
        if inst.addresses.isEmpty { inst.addresses = assignedAddresses }
    }

    /// Compact JSON (sorted keys, so equal workloads give equal text).
    func json() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? enc.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func parse(json: String) -> DomainWorkload? {
        guard json.utf8.count <= DomainMetadata.maxXMLBytes else { return nil }
        return try? JSONDecoder().decode(DomainWorkload.self, from: Data(json.utf8))
    }
}
