@testable import Backends
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Models
import Testing

/// The workload parts of the libvirt domain XML and metadata, without a daemon: the shapes libvirt
/// 9.0 accepts (checked by hand with virsh, and by LibvirtWorkloadTests on the system daemon).
/// `network=NAME` is only checked here: this machine has no dnsmasq, so no libvirt network runs.
struct LibvirtWorkloadXMLTests {
    static func builder(machine: String = "pc") -> DomainXMLBuilder {
        DomainXMLBuilder(name: "w", kernelPath: "/k", append: "console=ttyS0", memoryMiB: 64, cpus: 1, machine: machine,
                         kvm: false, logPath: "/var/log/c.log")
    }

    static func doc(_ b: DomainXMLBuilder) throws -> XMLDocument {
        try XMLDocument(data: Data(try b.build().utf8), options: [])
    }

    static func values(_ d: XMLDocument, _ xpath: String) throws -> [String] {
        try d.nodes(forXPath: xpath).compactMap(\.stringValue)
    }

    static func qemuArgs(_ d: XMLDocument) throws -> [String] {
        try values(d, "//*[local-name()='commandline']/*[local-name()='arg']/@value")
    }

    @Test func libvirtNetworkBridgeAndTapInterfaces() throws {
        var b = Self.builder()
        b.network = .network("default")
        var d = try Self.doc(b)
        #expect(try Self.values(d, "/domain/devices/interface/@type") == ["network"])
        #expect(try Self.values(d, "/domain/devices/interface/source/@network") == ["default"])
        #expect(try Self.values(d, "/domain/devices/interface/model/@type") == ["virtio"])
        #expect(try Self.values(d, "/domain/devices/interface/rom/@enabled") == ["no"])
        #expect(try !Self.qemuArgs(d).contains("-netdev"))
        b.network = .bridge("br0")
        d = try Self.doc(b)
        #expect(try Self.values(d, "/domain/devices/interface/@type") == ["bridge"])
        #expect(try Self.values(d, "/domain/devices/interface/source/@bridge") == ["br0"])
        b.network = .tap("tap7")
        d = try Self.doc(b)
        #expect(try Self.values(d, "/domain/devices/interface/@type") == ["ethernet"])
        #expect(try Self.values(d, "/domain/devices/interface/target/@dev") == ["tap7"])
        #expect(try Self.values(d, "/domain/devices/interface/target/@managed") == ["no"])
        b.network = .none
        d = try Self.doc(b)
        #expect(try d.nodes(forXPath: "/domain/devices/interface").isEmpty)
    }

    @Test func userNetworkingForwardsPublishedPorts() throws {
        var b = Self.builder()
        b.network = .user
        b.ports = [PortMapping(hostPort: 8080, guestPort: 80), PortMapping(hostAddress: "0.0.0.0", hostPort: 5353, guestPort: 53, protocol: .udp)]
        var d = try Self.doc(b)
        #expect(try Self.values(d, "/domain/devices/interface/@type") == ["user"])
        #expect(try Self.values(d, "/domain/devices/interface/alias/@name") == [DomainXMLBuilder.userInterfaceAlias])
        #expect(DomainXMLBuilder.userNetdevID == "hostua-unitopnet0", "libvirt names the netdev 'host' + alias")
        #expect(b.ports.map(DomainXMLBuilder.hostForwardRule) == ["tcp:127.0.0.1:8080-:80", "udp:0.0.0.0:5353-:53"])
        #expect(try Self.qemuArgs(d) == ["-device", "isa-debug-exit,iobase=0x501,iosize=2"], "no NIC on QEMU's command line")
        b.machine = "microvm"
        d = try Self.doc(b)
        #expect(try Self.values(d, "/domain/devices/interface/address/@type") == ["virtio-mmio"])
        // Published ports need user networking; IPv6 host addresses are refused (QEMU 7.2's slirp).
        b.network = .bridge("br0")
        #expect(throws: UnitopError.self) { _ = try b.build() }
        b.network = .user
        b.ports = [PortMapping(hostAddress: "::1", hostPort: 8080, guestPort: 80)]
        #expect(throws: UnitopError.self) { _ = try b.build() }
        b.ports = [PortMapping(hostPort: 8080, guestPort: 80), PortMapping(hostAddress: "0.0.0.0", hostPort: 8080, guestPort: 81)]
        #expect(throws: UnitopError.self) { _ = try b.build() }
    }

    @Test func initrdBootDiskDisksAndVolumes() throws {
        var b = Self.builder()
        b.initrdPath = "/img/root&.cpio"
        b.disks = [DiskAttachment(path: "/d/data.qcow2", format: .qcow2, readOnly: true)]
        b.volumes = [VolumeMount(hostPath: "/srv/we'b", tag: "web", readOnly: true), VolumeMount(hostPath: "/srv/up", tag: "up")]
        var d = try Self.doc(b)
        #expect(try Self.values(d, "/domain/os/initrd") == ["/img/root&.cpio"])
        #expect(try Self.values(d, "/domain/os/cmdline") == ["console=ttyS0"])
        #expect(try Self.values(d, "/domain/devices/disk/target/@dev") == ["vda"])
        #expect(try Self.values(d, "/domain/devices/disk/driver/@type") == ["qcow2"])
        #expect(try d.nodes(forXPath: "/domain/devices/disk/readonly").count == 1)
        #expect(try d.nodes(forXPath: "/domain/devices/disk/boot").isEmpty)
        #expect(try Self.values(d, "/domain/devices/filesystem/@accessmode") == ["squash", "squash"])
        #expect(try Self.values(d, "/domain/devices/filesystem/source/@dir") == ["/srv/we'b", "/srv/up"])
        #expect(try Self.values(d, "/domain/devices/filesystem/target/@dir") == ["web", "up"])
        #expect(try d.nodes(forXPath: "/domain/devices/filesystem/readonly").count == 1)
        #expect(try d.nodes(forXPath: "//address[@type='virtio-mmio']").isEmpty)

        // A disk image boots from the first drive: no kernel, no command line.
        b.initrdPath = nil
        b.bootDisk = DiskAttachment(path: "/var/lib/libvirt/images/unitop/w.disk", format: .raw)
        b.machine = "microvm"
        d = try Self.doc(b)
        #expect(try d.nodes(forXPath: "/domain/os/kernel").isEmpty)
        #expect(try d.nodes(forXPath: "/domain/os/cmdline").isEmpty)
        #expect(try Self.values(d, "/domain/devices/disk/target/@dev") == ["vda", "vdb"])
        #expect(try Self.values(d, "/domain/devices/disk/driver/@type") == ["raw", "qcow2"])
        #expect(try Self.values(d, "/domain/devices/disk[1]/boot/@order") == ["1"])
        #expect(try d.nodes(forXPath: "//address[@type='virtio-mmio']").count == 4, "microvm: every virtio device on virtio-mmio")
        #expect(try Self.values(d, "/domain/devices/controller[@type='usb']/@model") == ["none"])

        b.initrdPath = "/i"
        #expect(throws: UnitopError.self) { _ = try b.build() }
        b.initrdPath = nil
        b.volumes = [VolumeMount(hostPath: "/a", tag: "t"), VolumeMount(hostPath: "/b", tag: "t")]
        #expect(throws: UnitopError.self) { _ = try b.build() }
        b.volumes = [VolumeMount(hostPath: "relative", tag: "t")]
        #expect(throws: UnitopError.self) { _ = try b.build() }
    }

    @Test func exitDeviceIsDebugconWithAFileOrIsaDebugExit() throws {
        var b = Self.builder()
        var d = try Self.doc(b)
        #expect(try Self.qemuArgs(d) == ["-device", "isa-debug-exit,iobase=0x501,iosize=2"])
        #expect(try d.nodes(forXPath: "/domain/devices/serial[target/@type='isa-debug']").isEmpty)
        b.exitLogPath = "/var/log/libvirt/qemu/unitop-w.exit.log"
        d = try Self.doc(b)
        #expect(try Self.qemuArgs(d).isEmpty)
        #expect(try d.nodes(forXPath: "//*[local-name()='commandline']").isEmpty)
        let debug = "/domain/devices/serial[target/@type='isa-debug']"
        #expect(try Self.values(d, debug + "/target/model/@name") == ["isa-debugcon"])
        #expect(try Self.values(d, debug + "/address/@iobase") == ["0x501"])
        #expect(try Self.values(d, debug + "/log/@file") == ["/var/log/libvirt/qemu/unitop-w.exit.log"])
        #expect(try Self.values(d, debug + "/@type") == ["null"])
    }

    @Test func metadataKeepsTheWorkloadAndOldDomainsStayReadable() throws {
        let workload = DomainWorkload(network: .user, ports: [PortMapping(hostPort: 8080, guestPort: 80)], initrd: "/i<&>",
                                      volumes: [VolumeMount(hostPath: "/v", tag: "v", readOnly: true)],
                                      disks: [DiskAttachment(path: "/d", format: .qcow2)], unikraft: true,
                                      assignedAddresses: ["10.0.2.15"], exitLogPath: "/x.log", copies: ["/c"])
        let meta = DomainMetadata(image: "/img", kernelCopy: "/c", append: "a", machine: "pc", accel: "kvm",
                                  startedAt: Date(timeIntervalSince1970: 1_800_000_000), logPath: "/l", workload: workload)
        #expect(DomainMetadata.parse(meta.xmlElement()) == meta)
        let old = meta.xmlElement().replacingOccurrences(of: #"<unitop:workload>[^<]*</unitop:workload>"#, with: "", options: .regularExpression)
        let parsed = try #require(DomainMetadata.parse(old))
        #expect(parsed.workload == nil)
        #expect(parsed.image == "/img")
        var inst = Instance(name: "w", backend: .libvirt, host: "system", image: "/img", state: .running, memoryMiB: 64, cpus: 1)
        workload.apply(to: &inst)
        #expect(inst.network == .user && inst.ports.count == 1 && inst.initrd == "/i<&>" && inst.unikraft)
        #expect(inst.addresses == ["10.0.2.15"])
        #expect(DomainReadiness.parse("<ready xmlns='\(DomainReadiness.namespace)' millis='1234.5'/>") == 1234.5)
        #expect(DomainReadiness.parse(DomainReadiness.element(millis: 7.04)) == 7.0)
        #expect(DomainReadiness.parse("<ready millis='-1'/>") == nil)
        #expect(DomainReadiness.parse("<other millis='1'/>") == nil)
    }

    @Test func exitValuesAndEndings() throws {
        let path = NSTemporaryDirectory() + "exit-\(UUID().uuidString).log"
        defer { unlink(path) }
        #expect(LibvirtExitLog.value(at: path) == nil)
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(LibvirtExitLog.value(at: path) == nil)
        _ = FileManager.default.createFile(atPath: path, contents: Data([41, 0]))
        #expect(LibvirtExitLog.value(at: path) == 41)
        #expect(LibvirtEnding.exitedOnItsOwn.outcome(hasExitDevice: true).state == .crashed)
        #expect(LibvirtEnding.exitedOnItsOwn.outcome(hasExitDevice: false).state == .exited)
        #expect(LibvirtEnding.poweredOff.outcome(hasExitDevice: true).exitCode == 0)
    }

    @Test func qemuUserAccessFollowsThePermissionClasses() throws {
        let nobody = KVMAccess.Runner(user: "nobody", uid: 65534, groups: [65534], groupNames: ["nogroup"])
        let base = "/tmp/ut-acc-\(UUID().uuidString.prefix(6))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/open/shared", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/closed/inner", withIntermediateDirectories: true)
        chmod(base, 0o755); chmod(base + "/open", 0o755); chmod(base + "/open/shared", 0o755)
        chmod(base + "/closed", 0o700); chmod(base + "/closed/inner", 0o777)
        #expect(LibvirtFileAccess.problem(path: base + "/open/shared", runner: nobody, need: [.read, .search]) == nil)
        let write = try #require(LibvirtFileAccess.problem(path: base + "/open/shared", runner: nobody, need: [.read, .write, .search]))
        #expect(write.contains("cannot read/write/enter \(base)/open/shared") && write.contains("nobody"), "\(write)")
        let above = try #require(LibvirtFileAccess.problem(path: base + "/closed/inner", runner: nobody, need: [.read, .search]))
        #expect(above.contains("search the folder \(base)/closed "), "\(above)")
        #expect(LibvirtFileAccess.problem(path: base + "/missing", runner: nobody, need: []) != nil)
        let root = KVMAccess.Runner(user: "root", uid: 0, groups: [0], groupNames: ["root"])
        #expect(LibvirtFileAccess.problem(path: base + "/closed/inner", runner: root, need: [.read, .write]) == nil)
    }
}
