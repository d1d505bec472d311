@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// The libvirt backend against the real system libvirtd (`scripts/libvirt-up.sh` starts it),
/// booting the fixture unikernels. Every domain created here is destroyed and undefined in a defer.
@Suite(.serialized)
struct LibvirtSystemTests {
    static let uri = "qemu:///system"

    // MARK: - Helpers

    static func requireLibvirtd() async throws {
        let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/libvirt-up.sh").path
        let status = try await Self.spawnAndWaitOffPool([script], timeout: 90)
        try #require(status == 0, "libvirtd cannot run here: scripts/libvirt-up.sh exited with \(status) (see stderr)")
    }

    static func fixture(_ name: String) throws -> String {
        let p = Fixtures.path(name)
        try #require(FileManager.default.fileExists(atPath: p), "fixture \(p) missing: run make -C fixtures (or set UNITOP_FIXTURES)")
        return p
    }

    static func uniqueName(_ base: String) -> String { "ut-\(base)-\(UUID().uuidString.prefix(6).lowercased())" }

    static func virsh(_ args: [String], uri: String = uri) -> RunResult? {
        try? Run.command(["virsh", "-c", uri] + args, timeout: 30)
    }

    /// Destroys and undefines `name` and removes the files unitop made for it, whatever state it is in.
    static func cleanup(_ name: String) {
        _ = virsh(["destroy", name])
        _ = virsh(["undefine", name])
        for suffix in [".kernel", ".initrd", ".disk"] { unlink(LibvirtBackend.systemImageDirectory + "/" + name + suffix) }
        unlink(LibvirtBackend.systemLogDirectory + "/unitop-" + name + ".console.log")
        unlink(LibvirtBackend.systemLogDirectory + "/unitop-" + name + ".exit.log")
        unlink(LibvirtBackend.systemLogDirectory + "/" + name + ".log")
    }

    static func domainNames() -> [String] {
        (virsh(["list", "--all", "--name"])?.stdout ?? "").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func finalState(_ b: LibvirtBackend, _ name: String, timeout: Double = 30) async -> Instance? {
        var last: Instance?
        _ = await LibvirtTestSupport.eventually(timeout: timeout, interval: 0.1) {
            last = try? await b.instance(named: name)
            return last?.state.isFinished ?? false
        }
        return last
    }

    // MARK: - Tests

    @Test func helloBootsConsoleFromBootInputAndStopEscalates() async throws {
        try await Self.requireLibvirtd()
        let image = try Self.fixture("hello")
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let name = Self.uniqueName("hello")
        defer { Self.cleanup(name); b.close(); home.remove() }
        let events = LibvirtTestSupport.EventLog(b.events())
        defer { events.cancel() }

        // Default accel: KVM when the host offers it (kvm64 CPU model), else TCG.
        let inst = try await b.start(LaunchSpec(name: name, imagePath: image, memoryMiB: 32, append: "greeting=<hi&bye>"))
        #expect(inst.state == .running)
        #expect(inst.managed)
        #expect(inst.host == "system")
        #expect(inst.image == image)
        #expect(inst.append == "greeting=<hi&bye>")
        #expect(inst.memoryMiB == 32)
        #expect(Self.domainNames().contains(name))
        #expect(try await b.instances().contains { $0.name == name && $0.state == .running && $0.managed })

        let console = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: true))
        defer { console.cancel() }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { console.text.contains("unitop-fixture hello booted") })
        #expect(console.text.hasPrefix("unitop-fixture hello booted"), "history starts at the first byte of boot")
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { console.text.contains("cmdline=greeting=<hi&bye>") })
        try await b.sendConsoleInput(name, bytes: Array("hi there\r".utf8))
        #expect(await LibvirtTestSupport.eventually(timeout: 20) { console.text.contains("you typed: hi there") })

        // A second viewer joining later gets the same history from boot.
        let later = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: false))
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { later.finished })
        #expect(later.text.hasPrefix("unitop-fixture hello booted"))
        #expect(later.text.contains("you typed: hi there"))
        let tail = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .tail(bytes: 10), follow: false))
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { tail.finished })
        #expect(tail.text.utf8.count == 10)

        // Restart boots the guest again in the same QEMU process (same domain id, no stop event);
        // the console keeps following and history keeps both boots.
        let domid = Self.virsh(["domid", name])?.stdout
        try await b.restart(name)
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { console.text.components(separatedBy: "unitop-fixture hello booted").count == 3 })
        #expect(try await b.instance(named: name).state == .running)
        #expect(Self.virsh(["domid", name])?.stdout == domid, "the same domain, not a new one")
        #expect(!events.sawState(name, .stopped))
        #expect(!console.finished)

        // hello ignores ACPI: the graceful stop escalates to destroy after the timeout.
        try await b.stop(name, timeoutSeconds: 2)
        #expect(!Self.domainNames().contains(name))
        let after = try #require(await Self.finalState(b, name))
        #expect(after.state == .stopped)
        #expect(after.exitReason?.contains("destroyed") == true, "reason: \(after.exitReason ?? "nil")")
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { console.finished }, "the console stream finishes when the instance ends")
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { events.sawState(name, .stopping) && events.sawState(name, .stopped) })
        // Finished transient instances stay listed until removed.
        #expect(try await b.instances().contains { $0.name == name && $0.state == .stopped })
        try await b.remove(name, force: false)
        await #expect(throws: UnitopError.instanceNotFound(name)) { try await b.instance(named: name) }
        #expect(!FileManager.default.fileExists(atPath: LibvirtBackend.systemLogDirectory + "/unitop-" + name + ".console.log"))
    }

    @Test func persistentDomainKillAndRemove() async throws {
        try await Self.requireLibvirtd()
        let image = try Self.fixture("idle")
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let name = Self.uniqueName("persist")
        defer { Self.cleanup(name); b.close(); home.remove() }
        let inst = try await b.start(LaunchSpec(name: name, imagePath: image, memoryMiB: 32, accel: .tcg, persist: true))
        #expect(inst.state == .running)
        #expect(inst.accel == "tcg")
        #expect(inst.accelNote == nil, "an explicit TCG needs no explanation")
        // A new subscription first gets the instances known now (as on the qemu backend).
        let replay = LibvirtTestSupport.EventLog(b.events())
        defer { replay.cancel() }
        #expect(await LibvirtTestSupport.eventually(timeout: 5) { replay.sawState(name, .running) }, "the running instance is replayed")
        // A paused guest restarts and runs again.
        try await b.pause(name)
        try await b.restart(name)
        #expect(try await b.instance(named: name).state == .running)
        try await b.pause(name)
        #expect(try await b.instance(named: name).state == .paused)
        try await b.resume(name)
        #expect(try await b.instance(named: name).state == .running)
        await #expect(throws: UnitopError.self) { try await b.remove(name, force: false) }  // running: needs force

        // libvirt allows one console client: a second one is told so, and `force` takes it over.
        try await b.sendConsoleInput(name, bytes: Array("x".utf8))
        let (other, otherHome) = try LibvirtTestSupport.backend(Self.uri)
        defer { other.close(); otherHome.remove() }
        do {
            try await other.sendConsoleInput(name, bytes: Array("y".utf8))
            Issue.record("a second console client was let in without force")
        } catch let UnitopError.failed(message) {
            #expect(message == "console of \(name) is in use by another client; use force to take it over")
        }
        try await other.sendConsoleInput(name, bytes: Array("z".utf8), force: true)
        try await b.kill(name)
        let after = try await b.instance(named: name)
        #expect(after.state == .stopped)
        #expect(Self.domainNames().contains(name), "persistent domains stay defined")
        try await b.remove(name, force: false)
        #expect(!Self.domainNames().contains(name))
        #expect(!FileManager.default.fileExists(atPath: LibvirtBackend.systemImageDirectory + "/" + name + ".kernel"))
    }

    @Test func guestExitAndPanicEndWithReasons() async throws {
        try await Self.requireLibvirtd()
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let exit3 = Self.uniqueName("exit3"), exit0 = Self.uniqueName("exit0"), panic = Self.uniqueName("panic")
        defer { for n in [exit3, exit0, panic] { Self.cleanup(n) }; b.close(); home.remove() }
        _ = try await b.start(LaunchSpec(name: exit3, imagePath: try Self.fixture("exit"), memoryMiB: 32, append: "code=3", accel: .tcg))
        _ = try await b.start(LaunchSpec(name: exit0, imagePath: try Self.fixture("exit"), memoryMiB: 32, append: "code=0", accel: .tcg))
        _ = try await b.start(LaunchSpec(name: panic, imagePath: try Self.fixture("panic"), memoryMiB: 32, accel: .tcg))

        let e3 = try #require(await Self.finalState(b, exit3))
        #expect(e3.state == .exited)
        #expect(e3.exitCode == 3, "the guest's exit value, read from its isa-debugcon file")
        #expect(e3.exitReason?.contains("isa-debug-exit") == true, "reason: \(e3.exitReason ?? "nil")")
        let e0 = try #require(await Self.finalState(b, exit0))
        #expect(e0.state == .exited)
        #expect(e0.exitCode == 0)
        #expect(e0.exitReason == "guest powered off")
        let p = try #require(await Self.finalState(b, panic))
        #expect(p.state == .crashed, "panic ended \(p.state.rawValue): \(p.exitReason ?? "nil")")
        // The console log keeps what they printed.
        let out = LibvirtTestSupport.ConsoleCapture(b.console(exit3, history: .all, follow: true))
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { out.finished })
        #expect(out.text.contains("unitop-fixture exit booted"))
        for n in [exit3, exit0, panic] { try await b.remove(n, force: false) }
        #expect(try await b.instances().allSatisfy { ![exit3, exit0, panic].contains($0.name) })
    }

    /// A guest that ends by itself reads the same whether this process watched it (its STOPPED
    /// event) or not (started, then the backend closed as `run --detach` does; libvirt's QEMU log
    /// says how it ended, or the guest's exit file, which the next lookup reads and then ends the
    /// halted domain).
    @Test func guestEndingReadsTheSameWatchedOrNot() async throws {
        try await Self.requireLibvirtd()
        let (watcher, home) = try LibvirtTestSupport.backend(Self.uri)
        let watched = LibvirtTestSupport.EventLog(watcher.events())
        defer { watched.cancel() }
        // Detached starts keep their records in another home, which no subscribed backend watches.
        let otherHome = try TemporaryHome(prefix: "lvtest")
        let otherPaths = UnitopPaths.resolve(environment: otherHome.environment)
        let cases = [("exit", "code=3"), ("panic", "")]
        let names = cases.map { (Self.uniqueName($0.0 + "-w"), Self.uniqueName($0.0 + "-d")) }
        defer { for (w, d) in names { Self.cleanup(w); Self.cleanup(d) }; watcher.close(); home.remove(); otherHome.remove() }
        for ((fixture, append), (w, d)) in zip(cases, names) {
            _ = try await watcher.start(LaunchSpec(name: w, imagePath: try Self.fixture(fixture), memoryMiB: 32, append: append, accel: .tcg))
            let detached = try LibvirtBackend(uri: Self.uri, paths: otherPaths, config: Config())
            _ = try await detached.start(LaunchSpec(name: d, imagePath: try Self.fixture(fixture), memoryMiB: 32, append: append, accel: .tcg))
            detached.close()
        }
        for (w, d) in names {
            #expect(await LibvirtTestSupport.eventually(timeout: 30) { !Self.domainNames().contains(w) })
            let a = try #require(await Self.finalState(watcher, w))
            // The detached guest has ended too (exited into its exit file and halted, or panicked).
            let exitFile = LibvirtBackend.systemLogDirectory + "/unitop-" + d + ".exit.log"
            #expect(await LibvirtTestSupport.eventually(timeout: 30) {
                LibvirtExitLog.value(at: exitFile) != nil || !Self.domainNames().contains(d)
            })
            let later = try LibvirtBackend(uri: Self.uri, paths: otherPaths, config: Config())
            let b = try await later.instance(named: d)
            later.close()
            #expect(!Self.domainNames().contains(d), "the lookup ended the halted domain")
            #expect(a.state == b.state, "\(w): \(a.state.rawValue) vs \(b.state.rawValue)")
            #expect(a.exitReason == b.exitReason)
            #expect(a.exitCode == b.exitCode)
            #expect(b.exitReason?.contains("not connected") != true)
        }
        let exitW = try await watcher.instance(named: names[0].0)
        #expect(exitW.state == .exited && exitW.exitCode == 3, "the exit value from the isa-debugcon file")
        #expect(try await watcher.instance(named: names[1].0).state == .crashed)
    }

    @Test func foreignDomainsAreListedAsUnmanaged() async throws {
        try await Self.requireLibvirtd()
        let image = try Self.fixture("idle")
        let name = Self.uniqueName("foreign")
        let kernel = LibvirtBackend.systemImageDirectory + "/" + name + ".kernel"
        try FileManager.default.createDirectory(atPath: LibvirtBackend.systemImageDirectory, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: kernel)
        try FileManager.default.copyItem(atPath: image, toPath: kernel)
        let xmlPath = NSTemporaryDirectory() + name + ".xml"
        try """
        <domain type='qemu'><name>\(name)</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
        <os><type arch='x86_64' machine='pc'>hvm</type><kernel>\(kernel)</kernel></os>
        <devices><serial type='pty'/><memballoon model='none'/></devices></domain>
        """.write(toFile: xmlPath, atomically: true, encoding: .utf8)
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        defer { Self.cleanup(name); unlink(xmlPath); b.close(); home.remove() }
        let events = LibvirtTestSupport.EventLog(b.events())
        defer { events.cancel() }
        try #require(await LibvirtTestSupport.eventually(timeout: 15) { b.isConnected })
        let created = try #require(Self.virsh(["create", xmlPath]))
        try #require(created.status == 0, "virsh create: \(created.stderr)")
        let foreign = try #require(try await b.instances().first { $0.name == name })
        #expect(foreign.managed == false)
        #expect(foreign.state == .running)
        #expect(foreign.image == "")
        #expect(foreign.memoryMiB == 32)
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { events.sawState(name, .running) }, "the STARTED event of a foreign domain arrives")
        // Live console of a foreign domain goes through the console stream.
        let live = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: true))
        try await b.kill(name)
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { live.finished })
    }

    @Test func nonBootableImageFailsAndLeavesNothing() async throws {
        try await Self.requireLibvirtd()
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let name = Self.uniqueName("junk")
        defer { Self.cleanup(name); b.close(); home.remove() }
        let junk = home.root + "/junk.elf"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: URL(fileURLWithPath: junk))
        do {
            _ = try await b.start(LaunchSpec(name: name, imagePath: junk, memoryMiB: 32, accel: .tcg))
            Issue.record("a non-bootable image started")
        } catch let UnitopError.launchFailed(n, message) {
            #expect(n == name)
            #expect(!message.isEmpty)
        }
        #expect(!Self.domainNames().contains(name))
        #expect(!FileManager.default.fileExists(atPath: LibvirtBackend.systemImageDirectory + "/" + name + ".kernel"))
        await #expect(throws: UnitopError.imageNotFound(home.root + "/missing.elf")) {
            _ = try await b.start(LaunchSpec(name: name, imagePath: home.root + "/missing.elf"))
        }
    }

    @Test func sessionURIBootsTheImageInPlaceWithTheLogInTheStateDirectory() async throws {
        let image = try Self.fixture("hello")
        let (b, home) = try LibvirtTestSupport.backend("qemu:///session", timeout: 30)
        let name = Self.uniqueName("session")
        defer {
            _ = Self.virsh(["destroy", name], uri: "qemu:///session")
            unlink(LibvirtBackend.systemLogDirectory + "/" + name + ".log")  // libvirt's log of a root session domain
            b.close()
            home.remove()
        }
        #expect(b.host == "session")
        let inst = try await b.start(LaunchSpec(name: name, imagePath: image, memoryMiB: 32, accel: .tcg))
        let log = try #require(inst.consoleLogPath)
        #expect(log.hasPrefix(home.stateDirectory + "/libvirt/session/"))
        let console = LibvirtTestSupport.ConsoleCapture(b.console(name, history: .all, follow: true))
        defer { console.cancel() }
        #expect(await LibvirtTestSupport.eventually(timeout: 30) { console.text.contains("unitop-fixture hello booted") })
        try await b.kill(name)
        #expect(await LibvirtTestSupport.eventually(timeout: 10) { console.finished })
        try await b.remove(name, force: false)
        #expect(!FileManager.default.fileExists(atPath: log))
        #expect(FileManager.default.fileExists(atPath: image), "the image itself is never touched")
    }
}
