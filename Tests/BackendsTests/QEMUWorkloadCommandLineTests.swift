@testable import Backends
import Foundation
import Models
@testable import QEMUMonitor
import Testing
import UnitopTesting

/// The QEMU argv of workloads (network, ports, initrd, shared folders, disks, disk images,
/// Unikraft's command line), the exit verdict's independence from event order, and reading
/// state written before the workload fields existed. No QEMU runs here; QEMUWorkloadTests boots
/// the real guests.
@Suite struct QEMUWorkloadCommandLineTests {
    static let files = InstanceFiles(name: "w", stateDirectory: "/s", runtimeDirectory: "/r")

    func argv(_ spec: LaunchSpec, machine: String = "pc", firmware: QEMUFirmware = .installed) throws -> [String] {
        try QEMUCommandLine.argv(spec: spec, binary: "qemu", accel: "tcg", machine: machine, cpuModel: nil,
                                 files: Self.files, firmware: firmware)
    }

    /// The value after each occurrence of `option`.
    func values(_ a: [String], _ option: String) -> [String] {
        a.indices.filter { a[$0] == option && $0 + 1 < a.count }.map { a[$0 + 1] }
    }

    @Test func userNetworkingPublishesPortsOnTheMachinesVirtioTransport() throws {
        var spec = LaunchSpec(name: "w", imagePath: "/k", machine: "pc", network: .user,
                              ports: [PortMapping(hostPort: 8080, guestPort: 80),
                                      PortMapping(hostAddress: "0.0.0.0", hostPort: 5353, guestPort: 53, protocol: .udp),
                                      PortMapping(hostAddress: "::1", hostPort: 8443, guestPort: 443)])
        let pc = try argv(spec)
        #expect(values(pc, "-netdev") == ["user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:0.0.0.0:5353-:53,hostfwd=tcp:[::1]:8443-:443"])
        let nic = try #require(values(pc, "-device").first { $0.hasPrefix("virtio-net") })
        #expect(nic.hasPrefix("virtio-net-pci,netdev=net0,mac=52:54:00:") && nic.hasSuffix(",romfile="), "\(nic)")
        spec.machine = "microvm"
        let mmio = try argv(spec, machine: "microvm")
        #expect(values(mmio, "-device").contains { $0.hasPrefix("virtio-net-device,netdev=net0,mac=52:54:00:") })
        #expect(!values(mmio, "-device").contains { $0.contains("virtio-net-pci") })
        // One MAC per name, the same every time.
        #expect(QEMUDevices.macAddress("a") == QEMUDevices.macAddress("a"))
        #expect(QEMUDevices.macAddress("a") != QEMUDevices.macAddress("b"))
    }

    @Test func bridgeTapNoneAndLibvirtNetworks() throws {
        var spec = LaunchSpec(name: "w", imagePath: "/k", network: .bridge("br0"))
        #expect(values(try argv(spec), "-netdev") == ["bridge,id=net0,br=br0"])
        spec.network = .tap("tap0")
        #expect(values(try argv(spec), "-netdev") == ["tap,id=net0,ifname=tap0,script=no,downscript=no"])
        spec.network = .none
        let none = try argv(spec)
        #expect(values(none, "-netdev").isEmpty && !none.contains { $0.contains("virtio-net") })
        spec.network = .network("default")
        #expect {
            try argv(spec)
        } throws: { e in
            "\(e)".contains("--net network=default is a libvirt network; the qemu backend takes none, user, bridge=NAME or tap=NAME")
        }
    }

    @Test func initrdVolumesAndDisksWithCommasEscaped() throws {
        let spec = LaunchSpec(name: "w", imagePath: "/k", initrd: "/i/initrd,1.cpio",
                              volumes: [VolumeMount(hostPath: "/data,x", tag: "data"),
                                        VolumeMount(hostPath: "/etc/ro", tag: "conf", readOnly: true)],
                              disks: [DiskAttachment(path: "/d/a,b.qcow2", format: .qcow2, readOnly: true),
                                      DiskAttachment(path: "/d/raw.img", format: .raw)])
        let a = try argv(spec)
        #expect(values(a, "-initrd") == ["/i/initrd,1.cpio"], "-initrd is a plain path argument, not an option list")
        #expect(values(a, "-fsdev") == ["local,id=fs0,path=/data,,x,security_model=none",
                                        "local,id=fs1,path=/etc/ro,security_model=none,readonly=on"])
        #expect(values(a, "-drive") == ["if=none,id=disk0,file=/d/a,,b.qcow2,format=qcow2,readonly=on",
                                        "if=none,id=disk1,file=/d/raw.img,format=raw"])
        let devices = values(a, "-device")
        #expect(devices.contains("virtio-9p-pci,fsdev=fs0,mount_tag=data") && devices.contains("virtio-9p-pci,fsdev=fs1,mount_tag=conf"))
        #expect(devices.contains("virtio-blk-pci,drive=disk0") && devices.contains("virtio-blk-pci,drive=disk1"))
        let mmio = values(try argv(spec, machine: "microvm"), "-device")
        #expect(mmio.contains("virtio-9p-device,fsdev=fs0,mount_tag=data") && mmio.contains("virtio-blk-device,drive=disk1"))
    }

    @Test func theGuestGetsTheComposedCommandLine() throws {
        var spec = LaunchSpec(name: "w", imagePath: "/k", append: "heartbeat=0", applicationArguments: ["a", "b c"])
        #expect(values(try argv(spec), "-append") == ["heartbeat=0 -- a \"b c\""])
        // Unikraft: parameters end with " --"; on user networking it gets slirp's address.
        spec = LaunchSpec(name: "w", imagePath: "/k", unikraft: true, network: .user, ports: [PortMapping(hostPort: 8080, guestPort: 80)])
        #expect(values(try argv(spec), "-append") == ["netdev.ip=10.0.2.15/24:10.0.2.2 --"])
        spec.applicationArguments = ["-c", "/nginx/conf"]
        spec.append = "vfs.fstab=x"
        #expect(values(try argv(spec), "-append") == ["vfs.fstab=x netdev.ip=10.0.2.15/24:10.0.2.2 -- -c /nginx/conf"])
        spec.append = "netdev.ip=192.168.1.2/24:192.168.1.1"
        #expect(values(try argv(spec), "-append") == ["netdev.ip=192.168.1.2/24:192.168.1.1 -- -c /nginx/conf"], "the user's netdev.ip wins")
    }

    @Test func aDiskImageBootsFromTheFirstDriveWithoutKernelOptions() throws {
        var spec = LaunchSpec(name: "w", imagePath: "/img/nanos,1.img", bootDiskFormat: .raw,
                              disks: [DiskAttachment(path: "/d/data.img", format: .raw)])
        let a = try argv(spec)
        #expect(!a.contains("-kernel") && !a.contains("-append") && !a.contains("-initrd"))
        #expect(values(a, "-drive") == ["if=none,id=boot,file=/img/nanos,,1.img,format=raw,snapshot=on",
                                        "if=none,id=disk0,file=/d/data.img,format=raw"], "the image is the first drive")
        #expect(values(a, "-device").contains("virtio-blk-pci,drive=boot,bootindex=0"))
        spec.bootDiskFormat = .qcow2
        #expect(values(try argv(spec), "-drive").first == "if=none,id=boot,file=/img/nanos,,1.img,format=qcow2,snapshot=on")

        // Nothing can take kernel parameters or an initrd: a clear error instead of QEMU's.
        var withInitrd = spec
        withInitrd.initrd = "/i"
        #expect(throws: UnitopError.self) { try argv(withInitrd) }
        var withArgs = spec
        withArgs.applicationArguments = ["x"]
        #expect(throws: UnitopError.self) { try argv(withArgs) }

        // microvm: QEMU's default firmware (qboot) cannot boot a disk; SeaBIOS's microvm build can.
        let none = QEMUFirmware(candidates: ["/nonexistent/bios-microvm.bin"])
        #expect {
            try argv(spec, machine: "microvm", firmware: none)
        } throws: { e in "\(e)".contains("use --machine pc") }
        if let bios = QEMUFirmware.installed.microvmSeaBIOS() {
            let mv = try argv(spec, machine: "microvm")
            #expect(values(mv, "-bios") == [bios])
            #expect(values(mv, "-device").contains("virtio-blk-device,drive=boot,bootindex=0"))
        }
    }

    // MARK: exit verdict

    func verdict(_ status: Int32, shutdown: String? = nil, phase: StopPlan.Phase = .none, stderr: String? = nil) -> ExitRecord {
        var stop = StopPlan()
        stop.phase = phase
        return ExitVerdict(crashReason: nil, stop: stop, shutdownReason: shutdown, stderrTail: stderr)
            .record(for: WaitStatus(status << 8))
    }

    @Test func unikraftsEndingsDoNotDependOnWhetherTheShutdownEventCameFirst() {
        for shutdown in [nil, "guest-shutdown"] {
            let halt = verdict(83, shutdown: shutdown)
            #expect(halt.state == .exited && halt.exitCode == 0, "83 with SHUTDOWN \(shutdown ?? "unseen"): \(halt)")
            let crash = verdict(85, shutdown: shutdown)
            #expect(crash.state == .crashed && crash.reason.contains("42"), "85 with SHUTDOWN \(shutdown ?? "unseen"): \(crash)")
            let seven = verdict(15, shutdown: shutdown)
            #expect(seven.state == .exited && seven.exitCode == 7)
        }
        // The guest's own power-off: exited 0; QEMU's fatal error: crashed with its message.
        #expect(verdict(0, shutdown: "guest-shutdown").exitCode == 0)
        let failed = verdict(1, stderr: "qemu-system-x86_64: -netdev user: Could not set up host forwarding rule")
        #expect(failed.state == .crashed && failed.reason.hasPrefix("QEMU failed:"))
        // A stop unitop began decides: a Unikraft halt in answer to ACPI powerdown is a stop.
        #expect(verdict(83, shutdown: "guest-shutdown", phase: .powerdown).state == .stopped)
        #expect(verdict(85, phase: .powerdown).state == .crashed)
        #expect(verdict(83, phase: .kill).reason == "killed (SIGKILL)")
    }

    // MARK: state written before the workload fields

    @Test func stateWithoutWorkloadFieldsIsStillRead() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let f = env.files("old")
        try FileManager.default.createDirectory(atPath: f.directory, withIntermediateDirectories: true)
        // As unitop 0.1.0 wrote them: no format, no workload fields, no readyMillis.
        try #"""
        {"spec":{"name":"old","imagePath":"/i/hello.elf","memoryMiB":64,"cpus":1,"append":"x=1","machine":"pc","accel":"tcg","persist":false},
         "image":"/i/hello.elf","argv":["qemu-system-x86_64"],"accel":"tcg","machine":"pc","createdAt":"2025-01-01T00:00:00Z",
         "consoleLogMaxBytes":1048576,"runtimeDirectory":"/tmp/x"}
        """#.write(toFile: f.spec, atomically: true, encoding: .utf8)
        try #"{"state":"running","bootMillis":12.5,"updatedAt":"2025-01-01T00:00:01Z"}"#.write(toFile: f.status, atomically: true, encoding: .utf8)
        try #"{"state":"exited","exitCode":0,"reason":"guest powered off","finishedAt":"2025-01-01T00:00:02Z"}"#.write(toFile: f.exit, atomically: true, encoding: .utf8)
        let inst = try await env.backend.instance(named: "old")
        #expect(inst.state == .exited && inst.exitCode == 0 && inst.bootMillis == 12.5, "\(inst)")
        #expect(inst.readyMillis == nil && inst.network == NetworkMode.none && inst.ports.isEmpty)
        #expect(inst.initrd == nil && inst.volumes.isEmpty && inst.disks.isEmpty && inst.addresses.isEmpty)
    }
}
