import Foundation
import Models
import Testing

/// How the workload half of a launch is resolved: flags replace the sidecar's lists, `--publish`
/// implies user networking, files are checked before anything starts, and Unikraft images get
/// their ` --` separator and address.
@Suite struct WorkloadResolverTests {
    @Test func unikraftCommandLine() {
        func line(_ append: String, _ args: [String] = [], unikraft: Bool = true, net: NetworkMode = .none) -> String {
            KernelCommandLine.compose(append: append, applicationArguments: args, unikraft: unikraft, network: net)
        }
        #expect(line("") == "--")
        #expect(line("vfs.fstab=x") == "vfs.fstab=x --")
        #expect(line("", ["-c", "/etc/nginx.conf"]) == "-- -c /etc/nginx.conf")
        #expect(line("", net: .user) == "netdev.ip=10.0.2.15/24:10.0.2.2 --")
        #expect(line("netdev.ip=10.0.0.2/24:10.0.0.1", net: .user) == "netdev.ip=10.0.0.2/24:10.0.0.1 --")
        #expect(line("", net: .bridge("br0")) == "--")
        #expect(line("", ["hello world"]) == "-- \"hello world\"")
        // Not Unikraft: parameters as given, arguments after ` -- ` (Linux hands them to init).
        #expect(line("console=ttyS0", unikraft: false, net: .user) == "console=ttyS0")
        #expect(line("console=ttyS0", ["a", "b"], unikraft: false) == "console=ttyS0 -- a b")
        var spec = LaunchSpec(name: "u", imagePath: "/i", unikraft: true, network: .user)
        #expect(KernelCommandLine.assignedAddresses(spec) == ["10.0.2.15"])
        spec.append = "netdev.ip=10.1.1.1/24:10.1.1.254"
        #expect(KernelCommandLine.assignedAddresses(spec).isEmpty)
    }

    @Test func publishImpliesUserAndFlagsReplaceTheSidecarsLists() throws {
        let folder = try TemporaryFolder()
        let sidecar = ImageDefaults(ports: [try PortMapping.parse("9000:90")],
                                    volumes: [VolumeMount(hostPath: folder.path, tag: "side")])
        let fromSidecar = try LaunchResolver().resolve(name: "a", imagePath: "/i", sidecar: sidecar)
        #expect(fromSidecar.network == .user && fromSidecar.ports.map(\.hostPort) == [9000])
        #expect(fromSidecar.volumes.map(\.tag) == ["side"])
        let flags = LaunchOverrides(ports: [try PortMapping.parse("8080:80"), try PortMapping.parse("8443:443")],
                                    volumes: [], applicationArguments: ["x"])
        let fromFlags = try LaunchResolver().resolve(name: "a", imagePath: "/i", sidecar: sidecar, overrides: flags)
        #expect(fromFlags.ports.map(\.hostPort) == [8080, 8443])
        #expect(fromFlags.volumes.isEmpty && fromFlags.applicationArguments == ["x"])
        let none = try LaunchResolver().resolve(name: "a", imagePath: "/i", sidecar: nil)
        #expect(none.network == .none && none.ports.isEmpty && none.initrd == nil)
    }

    @Test func contradictionsAndMissingFilesFailBeforeAnythingStarts() throws {
        let resolver = LaunchResolver()
        func fails(_ o: LaunchOverrides, _ needle: String) {
            do {
                _ = try resolver.resolve(name: "a", imagePath: "/i", sidecar: nil, overrides: o)
                Issue.record("expected an error containing '\(needle)'")
            } catch {
                #expect(error.description.contains(needle), "\(error.description)")
            }
        }
        let p = try PortMapping.parse("8080:80")
        fails(LaunchOverrides(network: NetworkMode.none, ports: [p]), "need user networking")
        fails(LaunchOverrides(network: .bridge("br0"), ports: [p]), "need user networking")
        fails(LaunchOverrides(ports: [p, try PortMapping.parse("8080:81")]), "published twice")
        fails(LaunchOverrides(initrd: "/nonexistent/initrd.cpio"), "no such file")
        fails(LaunchOverrides(volumes: [VolumeMount(hostPath: "/nonexistent/dir", tag: "t")]), "no such file")
        fails(LaunchOverrides(volumes: [VolumeMount(hostPath: "/etc/hostname", tag: "t")]), "not a directory")
        fails(LaunchOverrides(volumes: [VolumeMount(hostPath: "/tmp", tag: "t"), VolumeMount(hostPath: "/", tag: "t")]), "used twice")
        fails(LaunchOverrides(disks: [DiskRequest(path: "/nonexistent.img")]), "no such file")
        fails(LaunchOverrides(append: String(repeating: "a", count: 4000), applicationArguments: [String(repeating: "b", count: 200)]),
              "too long")
        fails(LaunchOverrides(applicationArguments: ["a\nb"]), "one line")
    }

    @Test func imagesSetUnikraftAndDiskBoot() throws {
        let folder = try TemporaryFolder()
        var mbr = [UInt8](repeating: 0, count: 1024)
        mbr[510] = 0x55; mbr[511] = 0xAA
        let path = folder.path + "/os.img"
        try Data(mbr).write(to: URL(fileURLWithPath: path))
        let image = ImageInspector.inspect(path: path)
        #expect(image.bootable && image.format == .rawDisk)
        let spec = try LaunchResolver().resolve(name: "d", image: image)
        #expect(spec.bootDiskFormat == .raw && !spec.unikraft)
        let initrd = folder.path + "/initrd"
        try Data([1]).write(to: URL(fileURLWithPath: initrd))
        #expect(throws: UnitopError.self) { try LaunchResolver().resolve(name: "d", image: image, overrides: LaunchOverrides(initrd: initrd)) }
    }

    @Test func sidecarWorkloadKeys() throws {
        let d = try SidecarLoader.parse("""
            net = "user"
            publish = ["8080:80", "0.0.0.0:5353:53/udp"]
            initrd = "rootfs.cpio"
            volumes = ["www:fs0:ro", "/abs:fs1"]
            disks = ["data.qcow2:ro"]
            """, file: "/images/app.toml")
        #expect(d.network == .user)
        #expect(d.ports?.map(\.shortDescription) == ["8080→80", "0.0.0.0:5353→53/udp"])
        #expect(d.initrd == "/images/rootfs.cpio")
        #expect(d.volumes == [VolumeMount(hostPath: "/images/www", tag: "fs0", readOnly: true), VolumeMount(hostPath: "/abs", tag: "fs1")])
        #expect(d.disks == [DiskRequest(path: "/images/data.qcow2", readOnly: true)])
        for (text, needle) in [("net = \"wifi\"", "net"), ("publish = [\"x\"]", "publish"), ("publish = \"8080:80\"", "array"),
                               ("volumes = [\"nocolon\"]", "volumes"), ("disks = [1]", "disks")] {
            #expect(throws: UnitopError.self, "\(text) (\(needle))") { try SidecarLoader.parse(text, file: "/i/x.toml") }
        }
    }

    @Test func oldSpecsWithoutWorkloadFieldsStillDecode() throws {
        let old = #"{"name":"a","imagePath":"/i","memoryMiB":64,"cpus":1,"append":"","machine":"pc","accel":"auto","persist":false}"#
        let spec = try JSONDecoder().decode(LaunchSpec.self, from: Data(old.utf8))
        #expect(spec.network == .none && spec.ports.isEmpty && spec.volumes.isEmpty && spec.bootDiskFormat == nil && !spec.unikraft)
        let round = try JSONDecoder().decode(LaunchSpec.self, from: JSONEncoder().encode(
            LaunchSpec(name: "b", imagePath: "/i", network: .tap("tap0"), ports: [try PortMapping.parse("1:2")])))
        #expect(round.network == .tap("tap0") && round.ports.first?.guestPort == 2)
    }
}

/// Unikraft is recognised from the image's own ELF sections, within bounds.
@Suite struct UnikraftDetectionTests {
    /// A multiboot ELF32 with a section header table naming `sections`.
    static func elf(sections: [String], shnum: Int? = nil) -> [UInt8] {
        var b = Craft.multibootELF()
        var strtab: [UInt8] = [0]
        var offsets: [Int] = []
        for s in sections { offsets.append(strtab.count); strtab += Array(s.utf8) + [0] }
        let strOffset = b.count
        b += strtab
        let shoff = b.count
        // Entry 0 is the null section; then one per name; the last one is the string table.
        var table = [UInt8](repeating: 0, count: 40 * (sections.count + 1))
        for (i, off) in offsets.enumerated() { Craft.put32(UInt32(off), into: &table, at: 40 * (i + 1)) }
        let last = 40 * sections.count
        Craft.put32(UInt32(strOffset), into: &table, at: last + 16)
        Craft.put32(UInt32(strtab.count), into: &table, at: last + 20)
        b += table
        Craft.put32(UInt32(shoff), into: &b, at: 32)
        b[46] = 40; b[47] = 0
        let n = shnum ?? (sections.count + 1)
        b[48] = UInt8(n & 0xFF); b[49] = UInt8(n >> 8)
        b[50] = UInt8(sections.count); b[51] = 0
        return b
    }

    @Test func unikraftSectionsMarkTheImage() {
        let uk = ImageInspector.inspect(bytes: Self.elf(sections: [".text", ".uk_inittab", ".shstrtab"]), name: "app_qemu-x86_64", path: "/a")
        #expect(uk.unikraft && uk.bootable)
        let plain = ImageInspector.inspect(bytes: Self.elf(sections: [".text", ".data", ".shstrtab"]), name: "a.elf", path: "/a")
        #expect(!plain.unikraft && plain.bootable)
        // A lying section count is ignored, never followed.
        let lying = ImageInspector.inspect(bytes: Self.elf(sections: [".uk_inittab", ".shstrtab"], shnum: 60000), name: "x", path: "/x")
        #expect(!lying.unikraft && lying.bootable)
    }
}
