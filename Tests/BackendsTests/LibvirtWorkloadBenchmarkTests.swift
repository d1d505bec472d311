@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// Figures for the issue's closing note, only with `UNITOP_LIBVIRT_BENCH=1` (minutes on two cores):
/// launch to the first HTTP answer of the network guest on libvirt and on raw QEMU with the same
/// devices, and launch to the first console line of the raw and qcow2 disk images on libvirt; five
/// runs each, alternating, medians printed.
@Suite(.serialized)
struct LibvirtWorkloadBenchmarkTests {
    typealias S = LibvirtWorkloadSupport
    static let runs = 5

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }

    static func report(_ label: String, _ xs: [Double]) {
        print("bench \(label): median \(Int(median(xs))) ms over \(xs.count) runs: \(xs.map { String(Int($0)) }.joined(separator: " "))")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["UNITOP_LIBVIRT_BENCH"] == "1"))
    func launchToFirstHTTPAnswerAndDiskBoots() async throws {
        try await LibvirtSystemTests.requireLibvirtd()
        let guest = try #require(S.netguest)
        let (b, home) = try LibvirtTestSupport.backend(LibvirtSystemTests.uri)
        defer { b.close(); home.remove() }
        var libvirtHTTP: [Double] = [], rawHTTP: [Double] = [], disks: [String: [Double]] = [:]
        for _ in 0..<Self.runs {
            // libvirt: start() to the first answer.
            let name = LibvirtSystemTests.uniqueName("bench")
            defer { LibvirtSystemTests.cleanup(name) }
            var port = try S.freePort()
            let launched = Date()
            _ = try await b.start(LaunchSpec(name: name, imagePath: guest.kernel, memoryMiB: 256, append: "console=ttyS0", accel: .tcg,
                                             network: .user, ports: [PortMapping(hostPort: port, guestPort: 80)], initrd: guest.initrd))
            _ = try #require(await S.waitForHTTP(port: port, path: "/", timeout: 180))
            libvirtHTTP.append(Date().timeIntervalSince(launched) * 1000)
            try await b.remove(name, force: true)

            // Raw QEMU with the same machine, accelerator, memory and devices.
            port = try S.freePort()
            let qemu = Process()
            qemu.executableURL = URL(fileURLWithPath: "/usr/bin/qemu-system-x86_64")
            qemu.arguments = ["-machine", "pc", "-accel", "tcg", "-m", "256", "-nodefaults", "-no-user-config", "-display", "none",
                              "-kernel", guest.kernel, "-initrd", guest.initrd, "-append", "console=ttyS0", "-serial", "null",
                              "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:\(port)-:80", "-device", "virtio-net-pci,netdev=n0,romfile=",
                              "-no-reboot"]
            qemu.standardOutput = FileHandle.nullDevice
            qemu.standardError = FileHandle.nullDevice
            let rawLaunched = Date()
            try qemu.run()
            let answered = await S.waitForHTTP(port: port, path: "/", timeout: 180)
            if answered != nil { rawHTTP.append(Date().timeIntervalSince(rawLaunched) * 1000) }
            // SIGKILL: QEMU inherits the test thread's signal mask, which may block SIGTERM.
            kill(qemu.processIdentifier, SIGKILL)
            qemu.waitUntilExit()

            // The disk images, booted on libvirt (KVM when usable, and TCG: SeaBIOS is slow under a
            // nested KVM, where each port access is an expensive exit).
            for (file, accel) in ["disk.img", "disk.qcow2"].flatMap({ f in [(f, Accel.auto), (f, .tcg)] }) {
                let disk = LibvirtSystemTests.uniqueName("bdisk")
                defer { LibvirtSystemTests.cleanup(disk) }
                let t0 = Date()
                let started = try await b.start(LaunchSpec(name: disk, imagePath: S.diskFixture(file), memoryMiB: 32, accel: accel,
                                                           bootDiskFormat: file.hasSuffix("qcow2") ? .qcow2 : .raw))
                let console = LibvirtTestSupport.ConsoleCapture(b.console(disk, history: .all, follow: true))
                defer { console.cancel() }
                if await LibvirtTestSupport.eventually(timeout: 90, { console.text.contains("unitop-fixture disk booted") }) {
                    disks["\(file) \(started.accel ?? "?")", default: []].append(Date().timeIntervalSince(t0) * 1000)
                }
                _ = await LibvirtSystemTests.finalState(b, disk, timeout: 90)
                try? await b.remove(disk, force: true)
            }
        }
        Self.report("libvirt netguest launch->HTTP (tcg)", libvirtHTTP)
        Self.report("raw qemu netguest launch->HTTP (tcg)", rawHTTP)
        for (file, xs) in disks.sorted(by: { $0.key < $1.key }) { Self.report("libvirt \(file) launch->console", xs) }
        #expect(libvirtHTTP.count == Self.runs)
    }
}
