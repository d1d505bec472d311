@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// Real workloads on the system libvirtd (`qemu:///system`, QEMU as libvirt-qemu): the network
/// guest with an initrd, a published port and a shared folder; refused starts that leave nothing
/// behind; disk images; Unikraft's exit values; time to ready. Guests of one test run side by side.
@Suite(.serialized)
struct LibvirtWorkloadTests {
    static let uri = LibvirtSystemTests.uri
    typealias S = LibvirtWorkloadSupport

    static func uniqueName(_ base: String) -> String { LibvirtSystemTests.uniqueName(base) }

    /// A backend whose readiness probe is the real `unitop __probe-ready` process (as the CLI sets it).
    static func probingBackend() throws -> (LibvirtBackend, TemporaryHome) {
        let home = try TemporaryHome(prefix: "lvwork")
        let paths = UnitopPaths.resolve(environment: home.environment)
        let probe = [Fixtures.unitopBinary, "__probe-ready", "--connect", uri, "--state-dir", paths.stateDirectory]
        return (try LibvirtBackend(uri: uri, paths: paths, config: Config(), readinessProbeCommand: probe), home)
    }

    @Test func netguestAnswersHTTPFromItsSharedFolderAndIsReadyThenFreesThePort() async throws {
        try await LibvirtSystemTests.requireLibvirtd()
        let guest = try #require(S.netguest, "netguest missing: run make -C fixtures netguest")
        try #require(FileManager.default.isExecutableFile(atPath: Fixtures.unitopBinary), "build unitop first (the readiness probe runs it)")
        let (b, home) = try Self.probingBackend()
        let name = Self.uniqueName("net")
        let token = "shared-\(UUID().uuidString.prefix(8))"
        let folder = try S.sharedFolder(files: ["hello.txt": token])
        defer { LibvirtSystemTests.cleanup(name); b.close(); home.remove(); try? FileManager.default.removeItem(atPath: folder) }
        let port = try S.freePort()
        let mapping = PortMapping(hostPort: port, guestPort: 80)
        // TCG: this machine's KVM hangs the Debian kernel after "Probing EDD" (any CPU model), and
        // a fresh machine may have no usable KVM at all; the guest must work under TCG anyway.
        let spec = LaunchSpec(name: name, imagePath: guest.kernel, memoryMiB: 256, append: "console=ttyS0", accel: .tcg, network: .user,
                              ports: [mapping], initrd: guest.initrd, volumes: [VolumeMount(hostPath: folder, tag: "share", readOnly: true)])
        let launched = Date()
        let inst = try await b.start(spec)
        #expect(inst.network == .user && inst.ports == [mapping] && inst.initrd == guest.initrd)
        #expect(inst.volumes.map(\.tag) == ["share"])
        #expect(inst.readyMillis == nil)

        let body = try #require(await S.waitForHTTP(port: port, path: "/", timeout: 120), "no HTTP answer on 127.0.0.1:\(port)")
        let answered = Date().timeIntervalSince(launched)
        #expect(body.contains("unitop-netguest ok"))
        print("libvirt netguest: launch to first HTTP answer \(Int(answered * 1000)) ms (accel \(inst.accel ?? "?"))")
        #expect(await S.waitForHTTP(port: port, path: "/share/hello.txt", timeout: 10)?.contains(token) == true, "the shared folder's file is served")
        let console = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: false))
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { console.finished })
        #expect(console.text.contains("unitop-netguest volume share: hello.txt"), "\(console.text.suffix(400))")

        // The detached probe process stored the figure in the domain; every listing shows it.
        #expect(await LibvirtTestSupport.eventually(timeout: 20) { (try? await b.instance(named: name))?.readyMillis != nil })
        let ready = try #require(try await b.instance(named: name).readyMillis)
        print("libvirt netguest: readyMillis \(Int(ready)) ms")
        #expect(ready > 0 && ready < answered * 1000 + 2000, "readyMillis \(ready) vs first answer \(answered * 1000)")
        let listed = try #require(try await b.instances().first { $0.name == name })
        #expect(listed.readyMillis == ready && listed.ports == [mapping])

        // A graceful stop (escalating to destroy if the guest ignores ACPI); the host port is free afterwards.
        #expect(HostPorts.bindProblem(mapping) != nil, "QEMU holds the port while it runs")
        try await b.stop(name, timeoutSeconds: 1)
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { HostPorts.bindProblem(mapping) == nil }, "the port is free after stop")
        try await b.remove(name, force: false)
        #expect(S.leftovers(name).isEmpty, "\(S.leftovers(name))")
    }

    @Test func aTakenPortOrAnUnreachableFolderIsRefusedWithNothingLeftBehind() async throws {
        try await LibvirtSystemTests.requireLibvirtd()
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let image = try LibvirtSystemTests.fixture("idle")
        let port = try S.freePort()
        let listener = try S.listen(port: port)
        let taken = Self.uniqueName("taken"), closed = Self.uniqueName("closed")
        let privateFolder = try S.sharedFolder(files: ["x": "y"], mode: 0o700)
        defer {
            close(listener)
            for n in [taken, closed] { LibvirtSystemTests.cleanup(n) }
            b.close(); home.remove(); try? FileManager.default.removeItem(atPath: privateFolder)
        }
        do {
            _ = try await b.start(LaunchSpec(name: taken, imagePath: image, memoryMiB: 32, network: .user,
                                             ports: [PortMapping(hostPort: port, guestPort: 80)]))
            Issue.record("a taken host port was accepted")
        } catch let UnitopError.launchFailed(n, message) {
            #expect(n == taken)
            #expect(message.contains("127.0.0.1:\(port)/tcp is already in use"), "\(message)")
        }
        do {
            _ = try await b.start(LaunchSpec(name: closed, imagePath: image, memoryMiB: 32,
                                             volumes: [VolumeMount(hostPath: privateFolder, tag: "priv")]))
            Issue.record("a folder libvirt-qemu cannot read was accepted")
        } catch let UnitopError.launchFailed(n, message) {
            #expect(n == closed)
            #expect(message.contains("volume 'priv'") && message.contains("libvirt-qemu") && message.contains(privateFolder), "\(message)")
        }
        for n in [taken, closed] {
            #expect(!LibvirtSystemTests.domainNames().contains(n))
            #expect(S.leftovers(n).isEmpty, "\(S.leftovers(n))")
            await #expect(throws: UnitopError.instanceNotFound(n)) { try await b.instance(named: n) }
        }
    }

    @Test func rawAndQcow2DiskImagesBootAndReturnTheirExitCode() async throws {
        try await LibvirtSystemTests.requireLibvirtd()
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let files = ["disk.img": DiskFormat.raw, "disk.qcow2": .qcow2]
        for f in files.keys { try #require(FileManager.default.fileExists(atPath: S.diskFixture(f)), "fixture \(f) missing") }
        // An extra read-only drive next to the boot disk (libvirt-qemu reaches it through /tmp).
        let dataDir = try S.sharedFolder(files: [:])
        let data = dataDir + "/data.img"
        try FileManager.default.copyItem(atPath: S.diskFixture("disk.img"), toPath: data)
        let names = files.keys.sorted().map { ($0, Self.uniqueName("disk")) }
        defer { for (_, n) in names { LibvirtSystemTests.cleanup(n) }; b.close(); home.remove(); try? FileManager.default.removeItem(atPath: dataDir) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (file, name) in names {
                group.addTask {
                    let spec = LaunchSpec(name: name, imagePath: S.diskFixture(file), memoryMiB: 32, bootDiskFormat: files[file],
                                          disks: [DiskAttachment(path: data, format: .raw, readOnly: true)])
                    let launched = Date()
                    _ = try await b.start(spec)
                    let console = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: true))
                    defer { console.cancel() }
                    #expect(await LibvirtTestSupport.eventually(timeout: 90) { console.text.contains("unitop-fixture disk booted") })
                    print("libvirt \(file): launch to 'disk booted' \(Int(Date().timeIntervalSince(launched) * 1000)) ms")
                    let done = try #require(await LibvirtSystemTests.finalState(b, name, timeout: 90))
                    #expect(done.state == .exited && done.exitCode == 7, "\(file): \(done.state.rawValue) \(String(describing: done.exitCode)) \(done.exitReason ?? "")")
                    #expect(done.disks.map(\.path) == [data])
                    #expect(done.readyMillis == nil, "no published port, no READY figure")
                }
            }
            for try await _ in group {}
        }
        for (_, n) in names { try await b.remove(n, force: false); #expect(S.leftovers(n).isEmpty) }
    }

    /// Unikraft's 41 (halt, after an ACPI power-off attempt that races it) and 42 (crash) read the
    /// same every time, whether this process watched the guest or only a later lookup saw it.
    @Test func unikraftExitValuesReadTheSameEveryTime() async throws {
        try await LibvirtSystemTests.requireLibvirtd()
        let image = try LibvirtSystemTests.fixture("ukexit")
        let (watcher, home) = try LibvirtTestSupport.backend(Self.uri)
        let otherHome = try TemporaryHome(prefix: "lvwork")
        let otherPaths = UnitopPaths.resolve(environment: otherHome.environment)
        let runs = (0..<3).flatMap { i in [41, 42].map { code in (code, i % 2 == 0, Self.uniqueName("uk\(code)")) } }
        defer { for r in runs { LibvirtSystemTests.cleanup(r.2) }; watcher.close(); home.remove(); otherHome.remove() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (code, watched, name) in runs {
                group.addTask {
                    let spec = LaunchSpec(name: name, imagePath: image, memoryMiB: 32, append: "code=\(code)", unikraft: true)
                    let done: Instance?
                    if watched {
                        _ = try await watcher.start(spec)
                        done = await LibvirtSystemTests.finalState(watcher, name, timeout: 90)
                    } else {
                        // As `unitop run --detach`: started, then nobody watches; a later lookup finishes it.
                        let detached = try LibvirtBackend(uri: Self.uri, paths: otherPaths, config: Config())
                        _ = try await detached.start(spec)
                        detached.close()
                        let exitFile = LibvirtBackend.systemLogDirectory + "/unitop-" + name + ".exit.log"
                        _ = await LibvirtTestSupport.eventually(timeout: 90) {
                            LibvirtExitLog.value(at: exitFile) != nil || !LibvirtSystemTests.domainNames().contains(name)
                        }
                        let later = try LibvirtBackend(uri: Self.uri, paths: otherPaths, config: Config())
                        done = await LibvirtSystemTests.finalState(later, name, timeout: 90)
                        later.close()
                    }
                    let d = try #require(done, "\(name) did not end")
                    if code == 41 {
                        #expect(d.state == .exited && d.exitCode == 0, "41 (\(watched ? "watched" : "detached")): \(d.state.rawValue) \(String(describing: d.exitCode)) \(d.exitReason ?? "")")
                    } else {
                        #expect(d.state == .crashed && d.exitCode == nil, "42 (\(watched ? "watched" : "detached")): \(d.state.rawValue) \(d.exitReason ?? "")")
                        #expect(d.exitReason?.contains("Unikraft") == true || d.exitReason?.contains("crash") == true)
                    }
                    #expect(!LibvirtSystemTests.domainNames().contains(name), "the halted guest's domain is ended")
                }
            }
            for try await _ in group {}
        }
    }

    /// `unitop run` (attached) exits with the guest's code on libvirt, as on the qemu backend.
    @Test func attachedRunExitsWithTheGuestsCode() async throws {
        try await LibvirtSystemTests.requireLibvirtd()
        try #require(FileManager.default.isExecutableFile(atPath: Fixtures.unitopBinary), "build unitop first")
        let home = try TemporaryHome(prefix: "lvwork")
        let ukexit = try LibvirtSystemTests.fixture("ukexit")
        let cases: [(String, String, Int32)] = [(ukexit, "code=41", 0), (ukexit, "code=42", 1), (S.diskFixture("disk.qcow2"), "", 7)]
        let names = cases.map { _ in Self.uniqueName("cli") }
        defer { for n in names { LibvirtSystemTests.cleanup(n) }; home.remove() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for ((image, append, expected), name) in zip(cases, names) {
                group.addTask {
                    var argv = ["run", "--connect", Self.uri, "--name", name, "--memory", "32M", image]
                    if !append.isEmpty { argv += ["--append", append] }
                    let r = try await S.runOffPool([Fixtures.unitopBinary] + argv, environment: home.environment, timeout: 120)
                    #expect(r.status == expected, "\(name) \(append): status \(r.status), stderr \(r.stderr.suffix(300))")
                }
            }
            for try await _ in group {}
        }
    }
}
