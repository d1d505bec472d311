import Models

/// Disks, network, published ports and shared folders of the domain XML.
///
/// - Disks are virtio-blk (`vda`, `vdb`, …), the boot disk first with `<boot order='1'/>`; the
///   format comes from the ``DiskAttachment`` (read from the file's bytes), never probed by QEMU.
/// - `user` networking is QEMU's own (slirp), as libvirt's `<interface type='user'>`. libvirt 9.0
///   forwards ports there only with the passt backend, which it rejects here, so published
///   ports are `hostfwd` rules added over HMP while the domain starts paused (see
///   ``LibvirtDomains/create(_:name:xml:persist:forwards:cache:)``), on the netdev named by the
///   interface's alias (``userNetdevID``).
/// - `network=`, `bridge=` and `tap=` are libvirt interfaces (`network`, `bridge`, `ethernet`).
/// - Shared folders are virtio-9p `<filesystem>`s in `squash` access mode: QEMU (as
///   libvirt-qemu on `qemu:///system`) reads and writes the folder with its own identity, the
///   guest sees the host's owners and modes, and the ownership changes it cannot make are
///   ignored instead of failing (QEMU's `security_model=none`).
/// - On `microvm` (no PCI bus) every virtio device is on virtio-mmio.
extension DomainXMLBuilder {
    /// The alias of the user-network interface, and the netdev id libvirt derives from it.
    static let userInterfaceAlias = "ua-unitopnet0"
    static let userNetdevID = "host" + userInterfaceAlias

    /// Checks the device values (paths, names, tags, ports) before anything is written.
    func checkDevices() throws(UnitopError) {
        if let bootDisk {
            try Self.checkPath(bootDisk.path, what: "boot disk path")
            if initrdPath != nil { throw .invalidArgument("an initrd needs a kernel image, not a disk image") }
        }
        guard disks.count <= WorkloadFiles.maxDisks else { throw .invalidArgument("more than \(WorkloadFiles.maxDisks) disks") }
        for d in disks { try Self.checkPath(d.path, what: "disk path") }
        guard volumes.count <= WorkloadFiles.maxVolumes else { throw .invalidArgument("more than \(WorkloadFiles.maxVolumes) volumes") }
        var tags = Set<String>()
        for v in volumes {
            try Self.checkPath(v.hostPath, what: "volume '\(v.tag)' folder")
            try VolumeMount.checkTag(v.tag)
            guard tags.insert(v.tag).inserted else { throw .invalidArgument("volume tag '\(v.tag)' is used twice") }
        }
        if network != .none, try NetworkMode.parse(network.description) != network {
            throw .invalidArgument("invalid network '\(network)'")
        }
        guard ports.count <= WorkloadFiles.maxPorts else { throw .invalidArgument("more than \(WorkloadFiles.maxPorts) published ports") }
        if !ports.isEmpty, network != .user {
            throw .invalidArgument("published ports need user networking (--net user), not --net \(network)")
        }
        for (i, p) in ports.enumerated() {
            guard PortMapping.isIPv4(p.hostAddress) else {
                if PortMapping.isIPv6(p.hostAddress) {
                    // QEMU 7.2's slirp: "Invalid host forwarding rule … (Bad host address)".
                    throw .invalidArgument("published port \(p): QEMU's user networking forwards IPv4 host addresses only")
                }
                throw .invalidArgument("invalid host address '\(p.hostAddress)' of published port \(p)")
            }
            guard (1...65535).contains(p.hostPort), (1...65535).contains(p.guestPort) else {
                throw .invalidArgument("invalid published port \(p)")
            }
            if let other = ports[..<i].first(where: { $0.clashes(with: p) }) {
                throw .invalidArgument("published ports \(other) and \(p) use the same host port")
            }
        }
    }

    /// virtio-mmio on microvm; nothing (libvirt picks a PCI slot) otherwise.
    var virtioAddress: String { isMicrovm ? "<address type='virtio-mmio'/>" : "" }

    /// `vda`, `vdb`, … for drive `index`.
    static func diskTarget(_ index: Int) -> String {
        "vd" + String(UnicodeScalar(UInt8(ascii: "a") + UInt8(index % 26)))
    }

    func diskElements() -> String {
        let e = XMLEscaping.escape
        var x = ""
        let all = (bootDisk.map { [$0] } ?? []) + disks
        for (i, d) in all.enumerated() {
            x += "    <disk type='file' device='disk'>\n"
            x += "      <driver name='qemu' type='\(d.format.rawValue)'/>\n"
            x += "      <source file='\(e(d.path))'/>\n"
            x += "      <target dev='\(Self.diskTarget(i))' bus='virtio'/>\n"
            if i == 0, bootDisk != nil { x += "      <boot order='1'/>\n" }
            if d.readOnly { x += "      <readonly/>\n" }
            if isMicrovm { x += "      \(virtioAddress)\n" }
            x += "    </disk>\n"
        }
        return x
    }

    func interfaceElement() -> String {
        let e = XMLEscaping.escape
        let head: String
        switch network {
        case .none: return ""
        case .user: head = "<interface type='user'><alias name='\(Self.userInterfaceAlias)'/>"
        case .network(let n): head = "<interface type='network'><source network='\(e(n))'/>"
        case .bridge(let n): head = "<interface type='bridge'><source bridge='\(e(n))'/>"
        case .tap(let n): head = "<interface type='ethernet'><target dev='\(e(n))' managed='no'/>"
        }
        // No option ROM: the firmware never boots from the network here.
        let tail = isMicrovm ? virtioAddress : "<rom enabled='no'/>"
        return "    \(head)<model type='virtio'/>\(tail)</interface>\n"
    }

    func filesystemElements() -> String {
        let e = XMLEscaping.escape
        var x = ""
        for v in volumes {
            x += "    <filesystem type='mount' accessmode='squash'>\n"
            x += "      <source dir='\(e(v.hostPath))'/>\n"
            x += "      <target dir='\(e(v.tag))'/>\n"
            if v.readOnly { x += "      <readonly/>\n" }
            if isMicrovm { x += "      \(virtioAddress)\n" }
            x += "    </filesystem>\n"
        }
        return x
    }

    /// QEMU's `hostfwd` rule for a published port: `tcp:127.0.0.1:8080-:80`.
    static func hostForwardRule(_ p: PortMapping) -> String {
        "\(p.protocol.rawValue):\(p.hostAddress):\(p.hostPort)-:\(p.guestPort)"
    }
}
