import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

@Suite("QEMU backend: how instances end", .serialized)
struct QEMUExitTests {
    @Test func guestExitCodeIsRecorded() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("exit", name: "ex3", append: "code=3"))
        let done = try await QEMUTest.waitForState(env.backend, "ex3", [.exited, .crashed, .stopped])
        #expect(done.state == .exited)
        #expect(done.exitCode == 3)
        #expect(done.pid == nil)
    }

    @Test func guestPoweroffIsExitZero() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("exit", name: "ex0", append: "code=0"))
        let done = try await QEMUTest.waitForState(env.backend, "ex0", [.exited, .crashed, .stopped])
        #expect(done.state == .exited)
        #expect(done.exitCode == 0)
    }

    @Test func microvmExitCodeAndPanic() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("exit", name: "mv-exit", append: "code=7", machine: "microvm"))
        let exited = try await QEMUTest.waitForState(env.backend, "mv-exit", [.exited, .crashed, .stopped])
        #expect(exited.state == .exited)
        #expect(exited.exitCode == 7)
        #expect(exited.machine == "microvm")
        _ = try await env.backend.start(try env.spec("panic", name: "mv-panic", machine: "microvm"))
        let panicked = try await QEMUTest.waitForState(env.backend, "mv-panic", [.exited, .crashed, .stopped])
        #expect(panicked.state == .crashed)
        #expect(panicked.exitReason == "guest panicked", "\(panicked.exitReason ?? "nil")")
    }

    @Test func tooLongSocketPathIsAClearError() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        var paths = env.paths
        paths.runtimeDirectory = "/tmp/" + String(repeating: "r", count: 90)
        let b = try QEMUBackend(paths: paths, config: Config())
        do {
            _ = try await b.start(try env.spec("idle", name: "a-rather-long-name"))
            Issue.record("start should have failed")
        } catch let UnitopError.invalidArgument(message) {
            #expect(message.contains("over the Unix limit"), "\(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: env.files("a-rather-long-name").directory))
    }

    @Test func panicIsACrashWithReason() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("panic", name: "pan"))
        let done = try await QEMUTest.waitForState(env.backend, "pan", [.exited, .crashed, .stopped])
        #expect(done.state == .crashed)
        #expect(done.exitReason == "guest panicked", "\(done.exitReason ?? "nil")")
    }

    @Test func killStopsAtOnce() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let inst = try await env.backend.start(try env.spec("idle", name: "victim"))
        let pid = try #require(inst.pid)
        try await env.backend.kill("victim")
        let done = try await env.backend.instance(named: "victim")
        #expect(done.state == .stopped)
        #expect(done.exitReason == "killed (SIGKILL)")
        #expect(kill(pid, 0) != 0)
        await #expect(throws: UnitopError.invalidState(name: "victim", state: .stopped, action: "kill")) {
            try await env.backend.kill("victim")
        }
    }

    @Test func qemuKilledFromOutsideIsACrash() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let inst = try await env.backend.start(try env.spec("hello", name: "outside"))
        let pid = try #require(inst.pid)
        #expect(kill(pid, SIGKILL) == 0)
        let done = try await QEMUTest.waitForState(env.backend, "outside", [.exited, .crashed, .stopped])
        #expect(done.state == .crashed)
        #expect(done.exitReason == "QEMU killed by signal 9")
    }

    @Test func deadMonitorMeansCrashedAndNoQEMU() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let inst = try await env.backend.start(try env.spec("hello", name: "orphan"))
        let qemu = try #require(inst.pid)
        let bytes = try #require(FileIO.readSmall(env.files("orphan").monitorPid, limit: 128))
        let monitor = try #require(PidRecord.parse(String(decoding: bytes, as: UTF8.self)))
        let qemuRecord = try #require(PidRecord.current(pid: qemu))
        #expect(kill(monitor.pid, SIGKILL) == 0)
        let done = try await QEMUTest.waitForState(env.backend, "orphan", [.crashed, .stopped, .exited])
        #expect(done.state == .crashed)
        #expect(done.exitReason == "monitor died")
        #expect(await Wait.until(timeout: 10) { () async -> Bool in !qemuRecord.isAlive })
    }

    @Test func badQEMUOptionFailsWithQEMUsMessageAndLeavesNothing() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        var spec = try env.spec("hello", name: "badcpu")
        spec.cpuModel = "nonsense-cpu"
        do {
            _ = try await env.backend.start(spec)
            Issue.record("start should have failed")
        } catch let UnitopError.launchFailed(name, message) {
            #expect(name == "badcpu")
            #expect(message.contains("nonsense-cpu"), "\(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: env.files("badcpu").directory))
        #expect(try await env.backend.instances().isEmpty)
    }

    @Test func duplicateNameIsRefused() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("idle", name: "dup"))
        await #expect(throws: UnitopError.instanceExists("dup")) {
            _ = try await env.backend.start(try env.spec("idle", name: "dup"))
        }
        try await env.backend.remove("dup", force: true)
        #expect(try await env.backend.instances().isEmpty)
    }

    @Test func concurrentStartsWithOneNameHaveOneWinner() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let spec = try env.spec("idle", name: "race")
        let other = try env.secondBackend()
        async let a: Result<Instance, Error> = { do { return .success(try await env.backend.start(spec)) } catch { return .failure(error) } }()
        async let b: Result<Instance, Error> = { do { return .success(try await other.start(spec)) } catch { return .failure(error) } }()
        let results = await [a, b]
        let wins = results.filter { if case .success = $0 { return true }; return false }
        #expect(wins.count == 1)
        for case .failure(let e) in results { #expect(e as? UnitopError == .instanceExists("race")) }
        #expect(try await env.backend.instances().map(\.name) == ["race"])
    }

    @Test func removeRefusesARunningInstanceWithoutForce() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("idle", name: "busy"))
        await #expect(throws: UnitopError.invalidState(name: "busy", state: .running, action: "remove")) {
            try await env.backend.remove("busy", force: false)
        }
        try await env.backend.remove("busy", force: true)
        await #expect(throws: UnitopError.instanceNotFound("busy")) { try await env.backend.instance(named: "busy") }
    }
}

@Suite("QEMU backend: listing")
struct QEMUListingTests {
    /// 100 finished instances (copies of one real exit record) plus one whose monitor vanished.
    @Test func listsManyInstancesFromStateFiles() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("exit", name: "model", append: "code=5"))
        _ = try await QEMUTest.waitForState(env.backend, "model", [.exited, .crashed, .stopped])
        let model = env.files("model").directory
        for i in 0..<100 {
            try FileManager.default.copyItem(atPath: model, toPath: env.files("copy-\(i)").directory)
        }
        // An instance whose monitor pid record no longer matches a live process, and no exit record.
        let ghost = env.files("ghost")
        try FileManager.default.copyItem(atPath: model, toPath: ghost.directory)
        try FileManager.default.removeItem(atPath: ghost.exit)
        try FileIO.writeAtomically(ghost.monitorPid, Array("999999 1\n".utf8))

        let clock = ContinuousClock()
        var listed: [Instance] = []
        let elapsed = try await clock.measure { listed = try await env.backend.instances() }
        print("instances() for \(listed.count) instances took \(elapsed)")
        #expect(listed.count == 102)
        #expect(listed.filter { $0.state == .exited && $0.exitCode == 5 }.count == 101)
        let g = try #require(listed.first { $0.name == "ghost" })
        #expect(g.state == .crashed)
        #expect(g.exitReason == "monitor died")
    }
}
