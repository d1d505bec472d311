import Models

/// Builds the libvirt domain XML for one unikernel instance.
///
/// Every user-supplied value is validated and XML-escaped. The domain boots the image as a
/// multiboot kernel (with an optional initrd), or a disk image from its first drive through the
/// firmware; it has no graphics or USB. The serial port is a pty whose output virtlogd also
/// writes to ``logPath`` from the first byte. A guest reports its exit value on port 0x501 and
/// panics on a pvpanic device (port 0x505). Disks, network, published ports and shared folders
/// are in ``DomainXMLBuilder+Devices``.
public struct DomainXMLBuilder: Sendable {
    /// Longest path accepted.
    public static let maxPathBytes = 4096
    public static let qemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0"

    public var name: String
    /// Path of the kernel on the libvirt host.
    public var kernelPath: String
    public var append: String
    public var memoryMiB: Int
    public var cpus: Int
    /// `pc` or `microvm` (or another QEMU machine name of letters, digits, `.`, `_`, `-`).
    public var machine: String
    /// true: `<domain type='kvm'>`; false: TCG (`type='qemu'`).
    public var kvm: Bool
    /// CPU model under KVM (default `kvm64`; `host-passthrough` aborts QEMU on some hosts). Ignored under TCG.
    public var cpuModel: String?
    /// Console log on the libvirt host (written by virtlogd).
    public var logPath: String
    public var metadata: DomainMetadata?
    /// Path of the initrd on the libvirt host (kernel boots only).
    public var initrdPath: String?
    /// The image is a disk booted from the first drive (path on the libvirt host); no kernel.
    public var bootDisk: DiskAttachment?
    /// Further virtio-blk drives (paths on the libvirt host).
    public var disks: [DiskAttachment]
    public var network: NetworkMode
    /// Published ports (user networking only).
    public var ports: [PortMapping]
    /// Shared folders (paths on the libvirt host).
    public var volumes: [VolumeMount]
    /// Where the guest's exit value goes. With a path, port 0x501 is an isa-debugcon whose bytes
    /// virtlogd writes to that file (the guest's exit value N is byte N; QEMU keeps running and
    /// unitop ends the domain). Without one, it is QEMU's isa-debug-exit (QEMU exits with
    /// `(N << 1) | 1`, a status libvirt does not report).
    public var exitLogPath: String?

    public init(name: String, kernelPath: String, append: String, memoryMiB: Int, cpus: Int, machine: String,
                kvm: Bool, cpuModel: String? = nil, logPath: String, metadata: DomainMetadata? = nil,
                initrdPath: String? = nil, bootDisk: DiskAttachment? = nil, disks: [DiskAttachment] = [],
                network: NetworkMode = .none, ports: [PortMapping] = [], volumes: [VolumeMount] = [],
                exitLogPath: String? = nil) {
        self.name = name; self.kernelPath = kernelPath; self.append = append; self.memoryMiB = memoryMiB
        self.cpus = cpus; self.machine = machine; self.kvm = kvm; self.cpuModel = cpuModel
        self.logPath = logPath; self.metadata = metadata
        self.initrdPath = initrdPath; self.bootDisk = bootDisk; self.disks = disks; self.network = network
        self.ports = ports; self.volumes = volumes; self.exitLogPath = exitLogPath
    }

    /// Whether the machine has no PCI bus (devices go on virtio-mmio).
    var isMicrovm: Bool { machine == "microvm" }

    /// Validates every value and returns the XML.
    public func build() throws(UnitopError) -> String {
        try InstanceName.validate(name)
        // The launch limits, as every path checks them (LaunchLimits).
        _ = try LaunchLimits.checkMemory(memoryMiB)
        _ = try LaunchLimits.checkCPUs(cpus)
        try Self.checkIdentifier(machine, what: "machine type")
        if let cpuModel { try Self.checkIdentifier(cpuModel, what: "CPU model") }
        try XMLEscaping.checkRepresentable(append, what: "kernel command line", maxBytes: LaunchLimits.maxAppendBytes)
        var paths = [(logPath, "console log path")]
        if bootDisk == nil { paths.append((kernelPath, "kernel path")) }
        if let initrdPath { paths.append((initrdPath, "initrd path")) }
        if let exitLogPath { paths.append((exitLogPath, "exit log path")) }
        for (path, what) in paths { try Self.checkPath(path, what: what) }
        try checkDevices()
        let e = XMLEscaping.escape
        var x = "<domain type='\(kvm ? "kvm" : "qemu")' xmlns:qemu='\(Self.qemuNamespace)'>\n"
        x += "  <name>\(e(name))</name>\n"
        if let metadata { x += "  <metadata>\(metadata.xmlElement())</metadata>\n" }
        x += "  <memory unit='MiB'>\(memoryMiB)</memory>\n"
        x += "  <vcpu>\(cpus)</vcpu>\n"
        x += "  <os>\n"
        x += "    <type arch='x86_64' machine='\(e(machine))'>hvm</type>\n"
        if bootDisk == nil {
            x += "    <kernel>\(e(kernelPath))</kernel>\n"
            if let initrdPath { x += "    <initrd>\(e(initrdPath))</initrd>\n" }
            x += "    <cmdline>\(e(append))</cmdline>\n"
        }
        x += "  </os>\n"
        x += "  <features><acpi/></features>\n"
        if kvm {
            x += "  <cpu mode='custom' match='exact'><model fallback='allow'>\(e(cpuModel ?? "kvm64"))</model></cpu>\n"
        }
        x += "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n  <on_crash>destroy</on_crash>\n"
        x += "  <devices>\n"
        // No USB controller: unused, and on microvm (no PCI bus) libvirt refuses the default one.
        x += "    <controller type='usb' model='none'/>\n"
        x += diskElements()
        x += interfaceElement()
        x += filesystemElements()
        x += "    <serial type='pty'>\n"
        x += "      <log file='\(e(logPath))' append='off'/>\n"
        x += "      <target port='0'/>\n"
        x += "    </serial>\n"
        if let exitLogPath {
            x += "    <serial type='null'>\n"
            x += "      <log file='\(e(exitLogPath))' append='off'/>\n"
            x += "      <target type='isa-debug' port='1'><model name='isa-debugcon'/></target>\n"
            x += "      <address type='isa' iobase='0x501'/>\n"
            x += "    </serial>\n"
        }
        x += "    <console type='pty'><target type='serial' port='0'/></console>\n"
        if !isMicrovm {
            x += "    <panic model='isa'><address type='isa' iobase='0x505'/></panic>\n"
        }
        x += "    <memballoon model='none'/>\n"
        x += "  </devices>\n"
        if exitLogPath == nil {
            x += "  <qemu:commandline>\n"
            x += "    <qemu:arg value='-device'/>\n"
            x += "    <qemu:arg value='isa-debug-exit,iobase=0x501,iosize=2'/>\n"
            x += "  </qemu:commandline>\n"
        }
        x += "</domain>\n"
        return x
    }

    /// Representable in XML, at most ``maxPathBytes``, absolute.
    static func checkPath(_ path: String, what: String) throws(UnitopError) {
        try XMLEscaping.checkRepresentable(path, what: what, maxBytes: Self.maxPathBytes)
        guard path.hasPrefix("/") else { throw .invalidArgument("\(what) '\(path)' is not absolute") }
    }

    /// Letters, digits, `.`, `_`, `-`, 1 to 64 characters.
    static func checkIdentifier(_ s: String, what: String) throws(UnitopError) {
        let ok = !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
        }
        if !ok { throw .invalidArgument("invalid \(what) '\(s)': letters, digits, '.', '_' and '-' only") }
    }
}
