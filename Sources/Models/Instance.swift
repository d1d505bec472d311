import Foundation

/// Everything known about one instance (a running or finished unikernel).
///
/// Encodes to the `ps --json` object of the command-line contract; optional fields are
/// written as JSON `null`, never omitted.
public struct Instance: Codable, Sendable, Equatable, Identifiable {
    public var id: InstanceID { InstanceID(backend: backend, host: host, name: name) }

    public var name: String
    /// Which backend the instance lives in.
    public var backend: BackendKind
    /// `local` for the QEMU backend; the connection's host label for libvirt.
    public var host: String
    /// The image path (or catalogued name) the instance was started from; empty when unknown.
    public var image: String
    public var state: InstanceState
    /// Human-readable detail for the state, e.g. "graceful stop, 7s left".
    public var stateDetail: String?
    /// When a graceful stop escalates (only while `stopping`).
    public var stopDeadline: Date?
    /// The hypervisor process id, where known.
    public var pid: Int32?
    public var memoryMiB: Int
    public var cpus: Int
    public var startedAt: Date?
    /// Launch to first console byte, in milliseconds; nil until the first byte.
    public var bootMillis: Double?
    public var exitCode: Int?
    public var exitReason: String?
    public var stats: InstanceStats?
    /// Accelerator in use (`kvm`, `tcg`), where known.
    public var accel: String?
    /// Why `--accel auto` did not use KVM, when it fell back to TCG.
    public var accelNote: String?
    /// Machine type (`pc`, `microvm`), where known.
    public var machine: String?
    /// Kernel command line given to the guest.
    public var append: String?
    /// The hypervisor command line (QEMU argv), where known.
    public var commandLine: [String]?
    /// Where the backend keeps this instance's files, where it has any.
    public var stateDirectory: String?
    /// Path of the console log, where there is one.
    public var consoleLogPath: String?
    /// Whether unitop created this instance (libvirt lists foreign domains too).
    public var managed: Bool
    /// Launch to the first published TCP port accepting a connection, in milliseconds; nil
    /// until then, and always nil without published TCP ports.
    public var readyMillis: Double?
    /// The instance's network (`none`, `user`, `bridge=br0`, …); nil where unknown.
    public var network: NetworkMode?
    public var ports: [PortMapping] = []
    /// Path of the initrd given to the guest, if any.
    public var initrd: String?
    public var volumes: [VolumeMount] = []
    public var disks: [DiskAttachment] = []
    /// The guest's IP addresses where the backend knows them.
    public var addresses: [String] = []
    /// The image is a Unikraft kernel.
    public var unikraft: Bool = false
    /// The connection URI of the host the instance lives on (libvirt); nil for the local QEMU backend.
    public var hostURI: String? = nil

    public init(
        name: String, backend: BackendKind, host: String, image: String, state: InstanceState,
        stateDetail: String? = nil, stopDeadline: Date? = nil, pid: Int32? = nil,
        memoryMiB: Int, cpus: Int, startedAt: Date? = nil, bootMillis: Double? = nil,
        exitCode: Int? = nil, exitReason: String? = nil, stats: InstanceStats? = nil,
        accel: String? = nil, machine: String? = nil, append: String? = nil,
        commandLine: [String]? = nil, stateDirectory: String? = nil,
        consoleLogPath: String? = nil, managed: Bool = true
    ) {
        self.name = name; self.backend = backend; self.host = host; self.image = image
        self.state = state; self.stateDetail = stateDetail; self.stopDeadline = stopDeadline
        self.pid = pid; self.memoryMiB = memoryMiB; self.cpus = cpus; self.startedAt = startedAt
        self.bootMillis = bootMillis; self.exitCode = exitCode; self.exitReason = exitReason
        self.stats = stats; self.accel = accel; self.machine = machine; self.append = append
        self.commandLine = commandLine; self.stateDirectory = stateDirectory
        self.consoleLogPath = consoleLogPath; self.managed = managed
    }

    /// Copies the workload a spec asked for (network, ports, initrd, volumes, disks, the
    /// addresses unitop assigned) into this instance, and the command line the guest was given
    /// (``LaunchSpec/kernelCommandLine``: the parameters, Unikraft's additions and the arguments).
    public mutating func applyWorkload(of spec: LaunchSpec) {
        if spec.bootDiskFormat == nil { append = spec.kernelCommandLine }
        network = spec.network; ports = spec.ports; initrd = spec.initrd; volumes = spec.volumes
        disks = spec.disks; unikraft = spec.unikraft
        if addresses.isEmpty { addresses = KernelCommandLine.assignedAddresses(spec) }
    }

    /// Seconds since start while the instance is active; nil otherwise.
    public func uptimeSeconds(now: Date = Date()) -> Double? {
        guard state.isActive, let startedAt else { return nil }
        return max(0, now.timeIntervalSince(startedAt))
    }

    enum CodingKeys: String, CodingKey {
        case name, backend, host, image, state, stateDetail, stopDeadline, pid, memoryMiB, cpus
        case startedAt, uptimeSeconds, bootMillis, exitCode, exitReason, stats, accel, accelNote, machine
        case append, commandLine, stateDirectory, consoleLogPath, managed
        case readyMillis, network, ports, initrd, volumes, disks, addresses, unikraft
        case hostURI = "uri"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(backend, forKey: .backend)
        try c.encode(host, forKey: .host)
        try c.encode(image, forKey: .image)
        try c.encode(state, forKey: .state)
        try c.encode(stateDetail, forKey: .stateDetail)
        try c.encode(stopDeadline, forKey: .stopDeadline)
        try c.encode(pid, forKey: .pid)
        try c.encode(memoryMiB, forKey: .memoryMiB)
        try c.encode(cpus, forKey: .cpus)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(uptimeSeconds().map { ($0 * 1000).rounded() / 1000 }, forKey: .uptimeSeconds)
        try c.encode(bootMillis, forKey: .bootMillis)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(exitReason, forKey: .exitReason)
        try c.encode(stats, forKey: .stats)
        try c.encode(accel, forKey: .accel)
        try c.encode(accelNote, forKey: .accelNote)
        try c.encode(machine, forKey: .machine)
        try c.encode(append, forKey: .append)
        try c.encode(commandLine, forKey: .commandLine)
        try c.encode(stateDirectory, forKey: .stateDirectory)
        try c.encode(consoleLogPath, forKey: .consoleLogPath)
        try c.encode(managed, forKey: .managed)
        try c.encode(readyMillis, forKey: .readyMillis)
        try c.encode(network, forKey: .network)
        try c.encode(ports, forKey: .ports)
        try c.encode(initrd, forKey: .initrd)
        try c.encode(volumes, forKey: .volumes)
        try c.encode(disks, forKey: .disks)
        try c.encode(addresses, forKey: .addresses)
        try c.encode(unikraft, forKey: .unikraft)
        try c.encode(hostURI, forKey: .hostURI)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        backend = try c.decode(BackendKind.self, forKey: .backend)
        host = try c.decode(String.self, forKey: .host)
        image = try c.decode(String.self, forKey: .image)
        state = try c.decode(InstanceState.self, forKey: .state)
        stateDetail = try c.decodeIfPresent(String.self, forKey: .stateDetail)
        stopDeadline = try c.decodeIfPresent(Date.self, forKey: .stopDeadline)
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        memoryMiB = try c.decode(Int.self, forKey: .memoryMiB)
        cpus = try c.decode(Int.self, forKey: .cpus)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        bootMillis = try c.decodeIfPresent(Double.self, forKey: .bootMillis)
        exitCode = try c.decodeIfPresent(Int.self, forKey: .exitCode)
        exitReason = try c.decodeIfPresent(String.self, forKey: .exitReason)
        stats = try c.decodeIfPresent(InstanceStats.self, forKey: .stats)
        accel = try c.decodeIfPresent(String.self, forKey: .accel)
        accelNote = try c.decodeIfPresent(String.self, forKey: .accelNote)
        machine = try c.decodeIfPresent(String.self, forKey: .machine)
        append = try c.decodeIfPresent(String.self, forKey: .append)
        commandLine = try c.decodeIfPresent([String].self, forKey: .commandLine)
        stateDirectory = try c.decodeIfPresent(String.self, forKey: .stateDirectory)
        consoleLogPath = try c.decodeIfPresent(String.self, forKey: .consoleLogPath)
        managed = try c.decodeIfPresent(Bool.self, forKey: .managed) ?? true
        readyMillis = try c.decodeIfPresent(Double.self, forKey: .readyMillis)
        network = try c.decodeIfPresent(NetworkMode.self, forKey: .network)
        ports = try c.decodeIfPresent([PortMapping].self, forKey: .ports) ?? []
        initrd = try c.decodeIfPresent(String.self, forKey: .initrd)
        volumes = try c.decodeIfPresent([VolumeMount].self, forKey: .volumes) ?? []
        disks = try c.decodeIfPresent([DiskAttachment].self, forKey: .disks) ?? []
        addresses = try c.decodeIfPresent([String].self, forKey: .addresses) ?? []
        unikraft = try c.decodeIfPresent(Bool.self, forKey: .unikraft) ?? false
        hostURI = try c.decodeIfPresent(String.self, forKey: .hostURI)
    }
}
