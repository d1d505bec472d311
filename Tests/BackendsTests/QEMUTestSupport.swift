import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

/// A temporary home with a QEMU backend on it. `cleanUp()` (synchronous, for `defer`) kills
/// every monitor and QEMU started under this home and removes the directory.
struct QEMUTestEnvironment {
    let home: TemporaryHome
    let paths: UnitopPaths
    let config: Config
    let backend: QEMUBackend

    init(config: Config = Config()) throws {
        home = try TemporaryHome(prefix: "uq")
        paths = UnitopPaths.resolve(environment: home.environment)
        self.config = config
        backend = try QEMUBackend(paths: paths, config: config)
    }

    /// Another backend object on the same state (as a second unitop process would have).
    func secondBackend() throws -> QEMUBackend { try QEMUBackend(paths: paths, config: config) }

    /// A launch spec for a fixture (TCG unless told otherwise).
    func spec(_ fixture: String, name: String, append: String = "", accel: Accel = .tcg, machine: String = "pc") throws -> LaunchSpec {
        let path = Fixtures.path(fixture)
        try #require(FileManager.default.fileExists(atPath: path), "fixture \(path) missing: run make -C fixtures (or set UNITOP_FIXTURES)")
        return LaunchSpec(name: name, imagePath: path, memoryMiB: 64, cpus: 1, append: append, machine: machine, accel: accel)
    }

    func files(_ name: String) -> InstanceFiles {
        InstanceFiles(name: name, stateDirectory: paths.stateDirectory, runtimeDirectory: paths.runtimeDirectory)
    }

    /// Kills what this test started (only processes recorded under this home) and removes it.
    func cleanUp() {
        let dir = paths.stateDirectory + "/instances"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let f = files(name)
            for pidFile in [f.monitorPid, f.qemuPid] {
                if let b = FileIO.readSmall(pidFile, limit: 128), let p = PidRecord.parse(String(decoding: b, as: UTF8.self)), p.isAlive {
                    _ = kill(p.pid, SIGKILL)
                }
            }
        }
        if ProcessInfo.processInfo.environment["UNITOP_TEST_KEEP"] != nil { print("kept \(home.root)"); return }
        home.remove()
        try? FileManager.default.removeItem(atPath: paths.runtimeDirectory)
    }
}

/// Collects a console stream in the background for assertions (UnitopTesting's recorder).
typealias ConsoleCollector = ConsoleRecorder

/// Helpers shared by the QEMU tests.
enum QEMUTest {
    static func waitForState(_ b: QEMUBackend, _ name: String, _ states: Set<InstanceState>, timeout: Double = 30) async throws -> Instance {
        var last: Instance?
        let ok = try await Wait.until(timeout: timeout) {
            last = try await b.instance(named: name)
            return states.contains(last!.state)
        }
        #expect(ok, "\(name) never reached \(states); last state \(String(describing: last?.state)) \(last?.stateDetail ?? "")")
        return try #require(last)
    }

    /// FNV-1a 32 over bytes.
    static func fnv1a32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }

    static func unique(_ base: String) -> String { "\(base)-\(UInt32.random(in: 0...0xffff))" }
}
