@testable import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

/// Real workloads on the qemu backend with real QEMU: a Linux guest (Debian's kernel and a
/// busybox initramfs) serving HTTP on a published port with a shared folder, disk images booted
/// by the firmware, Unikraft's exit convention, application arguments, and readyMillis. Guests
/// run concurrently to keep the suite short.
@Suite("QEMU backend: real workloads")
struct QEMUWorkloadTests {
    /// The network guest's spec: kernel + initrd, a published port, a shared folder.
    func netguestSpec(_ env: QEMUTestEnvironment, name: String, accel: Accel, port: Int, share: String) throws -> LaunchSpec {
        let kernel = try WorkloadTest.fixtureFile("netguest/vmlinuz")
        let initrd = try WorkloadTest.fixtureFile("netguest/initrd.cpio.gz")
        let overrides = LaunchOverrides(memoryMiB: 256, append: "console=ttyS0", accel: accel,
                                        ports: [PortMapping(hostPort: port, guestPort: 80)], initrd: initrd,
                                        volumes: [VolumeMount(hostPath: share, tag: "share", readOnly: true)])
        return try LaunchResolver().resolve(name: name, imagePath: kernel, sidecar: nil, overrides: overrides)
    }

    @Test("netguest: published port, shared folder, readyMillis, port freed after the end",
          arguments: WorkloadTest.linuxAccels)
    func netguestServesItsPublishedPort(accel: Accel) async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let share = env.home.root + "/share"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        let token = "shared-\(UInt32.random(in: 0...UInt32.max))"
        try token.write(toFile: share + "/greeting.txt", atomically: true, encoding: .utf8)
        let port = try WorkloadTest.freePort()
        let name = "net-\(accel.rawValue)"
        let started = try await env.backend.start(try netguestSpec(env, name: name, accel: accel, port: port, share: share))
        // What ps --json and inspect show comes from the stored spec.
        #expect(started.network == .user && started.ports == [PortMapping(hostPort: port, guestPort: 80)])
        #expect(started.initrd?.hasSuffix("netguest/initrd.cpio.gz") == true)
        #expect(started.volumes == [VolumeMount(hostPath: share, tag: "share", readOnly: true)])

        var body: String?
        let answered = try await Wait.until(timeout: 120, interval: 0.2) {
            body = await WorkloadTest.get(port: port, path: "/")
            return body?.contains("unitop-netguest ok") == true
        }
        let log = String(decoding: FileIO.readSmall(env.files(name).consoleLog, limit: 1 << 20) ?? [], as: UTF8.self)
        try #require(answered, "no HTTP answer on \(port); console:\n\(log.suffix(3000))")
        #expect(await WorkloadTest.get(port: port, path: "/share/greeting.txt")?.contains(token) == true,
                "the shared folder's file is served by the guest")
        #expect(log.contains("unitop-netguest volume share: greeting.txt"), "\(log.suffix(2000))")

        // readyMillis: set once the guest accepted (the probe looks at most every 200 ms).
        var inst = try await env.backend.instance(named: name)
        _ = try await Wait.until(timeout: 5) {
            inst = try await env.backend.instance(named: name)
            return inst.readyMillis != nil
        }
        let ready = try #require(inst.readyMillis, "readyMillis is still null after the port answered")
        let boot = try #require(inst.bootMillis)
        #expect(ready > boot, "ready \(ready) ms after boot \(boot) ms (both from the launch)")
        let monitorLog = String(decoding: FileIO.readSmall(env.files(name).monitorLog, limit: 1 << 20) ?? [], as: UTF8.self)
        #expect(monitorLog.contains("ready: port \(port) accepted after"), "\(monitorLog.suffix(1500))")

        // The probe stopped: the monitor is idle while the guest idles.
        let monitor = try #require(FileIO.readSmall(env.files(name).monitorPid, limit: 128)
            .flatMap { PidRecord.parse(String(decoding: $0, as: UTF8.self)) })
        let before = try #require(WorkloadTest.cpuTicks(pid: monitor.pid))
        let window = ContinuousClock.now
        _ = await Wait.until(timeout: 1) { ContinuousClock.now - window >= .seconds(1) }
        let after = try #require(WorkloadTest.cpuTicks(pid: monitor.pid))
        #expect(after - before <= 3, "the monitor used \(after - before) ticks in 1 s after the guest was ready")

        // A restart measures again: readyMillis is cleared with bootMillis (the probe is armed
        // again; QEMUWorkloadReadinessTests covers how it counts after a reset).
        try await env.backend.restart(name)
        let cleared = try await Wait.until(timeout: 10) { try await env.backend.instance(named: name).readyMillis == nil }
        #expect(cleared, "readyMillis still \(ready) after the restart")

        // The port is free again once the guest has ended (stop or kill).
        if accel == .tcg {
            try await env.backend.stop(name, timeoutSeconds: 0.5)
        } else {
            try await env.backend.kill(name)
        }
        let ended = try await env.backend.instance(named: name)
        #expect(ended.state == .stopped, "\(ended.state) \(ended.stateDetail ?? "")")
        #expect(HostPorts.bindProblem(PortMapping(hostPort: port, guestPort: 80)) == nil, "port \(port) still taken after the end")
    }

    @Test func aTakenPortIsRefusedWithNothingLeftBehind() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let holder = try WorkloadTest.Listener()
        defer { holder.close() }
        var spec = try env.spec("hello", name: "taken")
        spec.network = .user
        spec.ports = [PortMapping(hostPort: holder.port, guestPort: 80)]
        do {
            _ = try await env.backend.start(spec)
            Issue.record("a start on a taken port went through")
        } catch let UnitopError.launchFailed(_, message) {
            #expect(message == "host port 127.0.0.1:\(holder.port)/tcp is already in use", "\(message)")
        }
        #expect(try await env.backend.instances().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: env.files("taken").directory))
        #expect(!FileManager.default.fileExists(atPath: env.files("taken").controlSocket))
    }

    /// Boots a copy of a disk fixture (other suites may boot the fixture itself meanwhile, and
    /// QEMU locks images) through the resolver: the image's format makes it a boot disk.
    /// Returns the ended instance, its console, and whether the copy is unchanged afterwards.
    func bootDisk(_ env: QEMUTestEnvironment, _ file: String, name: String, machine: String, accel: Accel) async throws -> (Instance, String, Bool) {
        let copy = env.home.root + "/\(name)-" + file
        try FileManager.default.copyItem(atPath: try WorkloadTest.fixtureFile(file), toPath: copy)
        let original = FileManager.default.contents(atPath: copy)
        let image = ImageInspector.inspect(path: copy)
        #expect(image.bootable, "\(file): \(image.reason ?? "")")
        let spec = try LaunchResolver().resolve(name: name, image: image, overrides: LaunchOverrides(machine: machine, accel: accel))
        #expect(spec.bootDiskFormat == (file.hasSuffix(".qcow2") ? .qcow2 : .raw))
        _ = try await env.backend.start(spec)
        let done = try await QEMUTest.waitForState(env.backend, name, [.exited, .crashed, .stopped], timeout: 30)
        let log = String(decoding: FileIO.readSmall(env.files(name).consoleLog, limit: 1 << 16) ?? [], as: UTF8.self)
        return (done, log, FileManager.default.contents(atPath: copy) == original)
    }

    @Test func rawAndQcow2DiskImagesBootAndReturnTheirExitCode() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let microvm = QEMUFirmware.installed.microvmSeaBIOS() != nil
        async let raw = bootDisk(env, "disk.img", name: "raw", machine: "pc", accel: .tcg)
        async let qcow2 = bootDisk(env, "disk.qcow2", name: "qcow2", machine: "pc", accel: .auto)
        async let mmio = microvm ? bootDisk(env, "disk.img", name: "raw-mv", machine: "microvm", accel: .tcg) : nil
        for (inst, log, unchanged) in try await [raw, qcow2] + [mmio].compactMap({ $0 }) {
            #expect(inst.state == .exited && inst.exitCode == 7, "\(inst.name): \(inst.state) \(inst.exitReason ?? "")")
            #expect(log.contains("unitop-fixture disk booted"), "\(inst.name): \(log)")
            #expect(inst.bootMillis != nil && inst.readyMillis == nil)
            // Writes went to a throw-away overlay: the image is as it was.
            #expect(unchanged, "\(inst.name): the image file changed")
        }
        if !microvm { print("skipped: microvm disk boot (SeaBIOS's microvm build is not installed)") }
    }

    @Test func unikraftHaltAndCrashMapTheSameEveryTime() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        // Both endings 11 times on TCG and once on what auto picks (KVM here: seconds per start
        // under nested virtualization), several at once.
        let runs = 12, parallel = 8
        let jobs = (0..<(2 * runs)).map { i in (name: "uk\(i)", code: i % 2 == 0 ? 41 : 42, accel: i < 2 ? Accel.auto : .tcg) }
        var results: [(code: Int, inst: Instance)] = []
        try await withThrowingTaskGroup(of: (Int, Instance).self) { group in
            var next = 0
            func add() throws {
                let job = jobs[next]
                next += 1
                let spec = try env.spec("ukexit", name: job.name, append: "code=\(job.code)", accel: job.accel)
                group.addTask {
                    _ = try await env.backend.start(spec)
                    return (job.code, try await QEMUTest.waitForState(env.backend, job.name, [.exited, .crashed, .stopped], timeout: 60))
                }
            }
            while next < min(parallel, jobs.count) { try add() }
            while let r = try await group.next() {
                results.append(r)
                if next < jobs.count { try add() }
            }
        }
        #expect(results.count == jobs.count)
        for (code, inst) in results {
            if code == 41 {
                #expect(inst.state == .exited && inst.exitCode == 0, "\(inst.name) code=41: \(inst.state) \(inst.exitReason ?? "")")
            } else {
                #expect(inst.state == .crashed && inst.exitCode == nil && inst.exitReason?.contains("42") == true,
                        "\(inst.name) code=42: \(inst.state) \(inst.exitReason ?? "")")
            }
        }
    }

    @Test func applicationArgumentsFollowTheParametersAndNoPortMeansNoReadyMillis() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        var spec = try env.spec("hello", name: "args", append: "heartbeat=0")
        spec.applicationArguments = ["a", "b"]
        _ = try await env.backend.start(spec)
        #expect(await WorkloadTest.consoleLog(env, "args", contains: "hello: cmdline=heartbeat=0 -- a b\r\n"))
        let inst = try await env.backend.instance(named: "args")
        #expect(inst.bootMillis != nil && inst.readyMillis == nil, "no published port: no READY figure")
        #expect(inst.network == NetworkMode.none && inst.ports.isEmpty && inst.addresses.isEmpty)
        try await env.backend.kill("args")
    }

    @Test func aGuestThatNeverListensLeavesReadyNullAndTheProbeCheap() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        var spec = try env.spec("hello", name: "deaf", append: "heartbeat=0")
        let port = try WorkloadTest.freePort()
        spec.network = .user
        spec.ports = [PortMapping(hostPort: port, guestPort: 80)]
        _ = try await env.backend.start(spec)
        #expect(await WorkloadTest.consoleLog(env, "deaf", contains: "hello: cmdline=heartbeat=0\r\n"))
        let monitor = try #require(FileIO.readSmall(env.files("deaf").monitorPid, limit: 128)
            .flatMap { PidRecord.parse(String(decoding: $0, as: UTF8.self)) })
        let before = try #require(WorkloadTest.cpuTicks(pid: monitor.pid))
        let window = ContinuousClock.now
        _ = await Wait.until(timeout: 2) { ContinuousClock.now - window >= .seconds(2) }
        let after = try #require(WorkloadTest.cpuTicks(pid: monitor.pid))
        let inst = try await env.backend.instance(named: "deaf")
        #expect(inst.readyMillis == nil, "nothing listens in the guest, yet readyMillis is \(inst.readyMillis ?? 0)")
        #expect(after - before <= 10, "the probing monitor used \(after - before) ticks in 2 s")
        print("probing monitor: \(after - before) ticks in 2 s")
        try await env.backend.kill("deaf")
        #expect(HostPorts.bindProblem(PortMapping(hostPort: port, guestPort: 80)) == nil, "port \(port) still taken after kill")
    }
}
