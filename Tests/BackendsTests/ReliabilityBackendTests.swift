import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

/// A long-lived backend user (as the TUI is) through many start/follow/stop/remove cycles:
/// descriptors and threads do not grow, and nothing is left behind. Plus the directory checks.
@Suite(.serialized) struct ReliabilityBackendTests {
    static var cycles: Int { ProcessInfo.processInfo.environment["UNITOP_STRESS"] == "1" ? 200 : 20 }

    static func openDescriptors() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

    /// What the open descriptors point at (for a failure message).
    static func descriptorTargets() -> [String] {
        let dir = "/proc/self/fd"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + $0)
        }.sorted()
    }

    static func threads() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).count
    }

    @Test func cyclesLeakNoDescriptorProcessSocketOrDirectory() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let b = env.backend
        let events = b.events()
        let eventTask = Task { var n = 0; for await _ in events { n += 1 }; return n }
        defer { eventTask.cancel() }

        func cycle(_ i: Int) async throws {
            let name = "cy\(i % 3)"
            _ = try await b.start(try env.spec("idle", name: name))
            let console = ConsoleCollector(b.console(name, history: .all, follow: true))
            #expect(await console.wait(for: "idle: halting"), "cycle \(i): console")
            if i % 2 == 0 { try await b.kill(name) } else { try await b.stop(name, timeoutSeconds: 0) }
            // Generous: blocking tests of other suites running in parallel can starve the pool.
            let ended = await Wait.until(timeout: 30) { console.finished }
            if !ended {
                let state = try? await b.instance(named: name).state
                let exitFile = FileManager.default.fileExists(atPath: env.files(name).exit)
                Issue.record("cycle \(i): the follower did not end with the instance (exit.json: \(exitFile), state \(String(describing: state)))")
            }
            console.cancel()
            try await b.remove(name, force: false)
        }
        try await cycle(0)  // warm-up: lazily created threads and descriptors
        let fdsBefore = Self.openDescriptors(), threadsBefore = Self.threads()
        for i in 1...Self.cycles { try await cycle(i) }
        // Descriptors pointing into this test's home are exact (other suites may run in parallel,
        // so the process-wide counts are only reported).
        // A read the watch thread started for the last removal may still hold a file for a
        // moment; a leaked descriptor stays.
        var mine: [String] = []
        let released = await Wait.until(timeout: 5) {
            mine = Self.descriptorTargets().filter { $0.hasPrefix(env.home.root) }
            return mine.isEmpty
        }
        #expect(released, "descriptors left open on this home's files: \(mine)")
        let settled = await Wait.until(timeout: 10) { Self.openDescriptors() <= fdsBefore + 2 }
        if !settled { print("reliability: process-wide descriptors \(fdsBefore) -> \(Self.openDescriptors()) (other suites running?): \(Self.descriptorTargets())") }
        #expect(try await b.instances().isEmpty)
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: env.paths.stateDirectory + "/instances")) ?? []
        #expect(dirs.isEmpty, "\(dirs)")
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: env.paths.runtimeDirectory)) ?? []
        #expect(sockets.filter { !$0.hasPrefix("kvm-probe") }.isEmpty, "\(sockets)")
        print("reliability: \(Self.cycles) backend cycles, fds \(fdsBefore) -> \(Self.openDescriptors()), threads \(threadsBefore) -> \(Self.threads())")
    }

    @Test func backendRefusesDirectoriesOthersControl() throws {
        let home = try TemporaryHome(prefix: "usd")
        defer { home.remove() }
        let paths = UnitopPaths.resolve(environment: home.environment)
        _ = try QEMUBackend(paths: paths, config: Config())  // fine as created

        #expect(chmod(home.stateDirectory, 0o777) == 0)
        #expect(throws: UnitopError.self) { try QEMUBackend(paths: paths, config: Config()) }
        #expect(chmod(home.stateDirectory, 0o700) == 0)

        #expect(chown(home.runtimeDirectory, 65534, 65534) == 0)
        #expect(throws: UnitopError.self) { try QEMUBackend(paths: paths, config: Config()) }
        #expect(chown(home.runtimeDirectory, getuid(), getgid()) == 0)
        _ = try QEMUBackend(paths: paths, config: Config())
    }

    @Test func secureDirectoryCreatesPrivateDirectoriesAndRefusesUnsafeOnes() throws {
        let home = try TemporaryHome(prefix: "usd")
        defer { home.remove() }
        let fresh = home.root + "/a/b/c"
        try SecureDirectory.prepare(fresh)
        for d in [home.root + "/a", home.root + "/a/b", fresh] {
            var st = stat()
            #expect(stat(d, &st) == 0 && st.st_mode & 0o777 == 0o700, "\(d)")
        }
        try SecureDirectory.prepare(fresh)  // existing and safe: fine

        func refusal(_ path: String) -> String? {
            do { try SecureDirectory.check(path); return nil } catch { return error.description }
        }
        let open = home.root + "/open"
        mkdir(open, 0o700); chmod(open, 0o777)
        #expect(refusal(open)?.contains("lets others write") == true)
        chmod(open, 0o720)
        #expect(refusal(open)?.contains("lets others write") == true, "group-writable too")
        chmod(open, 0o755)
        #expect(refusal(open) == nil, "readable by others is not a risk to the sockets")

        chmod(open, 0o1777)
        #expect(refusal(open)?.contains("lets others write") == true, "sticky is not enough by default")
        #expect((try? SecureDirectory.check(open, allowSticky: true)) != nil, "a sticky parent like /tmp is accepted where allowed")
        try SecureDirectory.check("/tmp", allowSticky: true)

        let foreign = home.root + "/foreign"
        mkdir(foreign, 0o700); chown(foreign, 65534, 65534)
        #expect(refusal(foreign)?.contains("owned by uid 65534") == true)

        let file = home.root + "/file"
        FileManager.default.createFile(atPath: file, contents: Data())
        #expect(refusal(file)?.contains("not a directory") == true)
        #expect(throws: UnitopError.self) { try SecureDirectory.prepare(file + "/sub") }

        let myLink = home.root + "/mylink"
        symlink(fresh, myLink)
        #expect(refusal(myLink) == nil, "my own link to my own directory")
        let theirLink = home.root + "/theirlink"
        symlink(fresh, theirLink); lchown(theirLink, 65534, 65534)
        #expect(refusal(theirLink)?.contains("symbolic link owned by uid 65534") == true)
        let linkToForeign = home.root + "/link2"
        symlink(foreign, linkToForeign)
        #expect(refusal(linkToForeign)?.contains("owned by uid 65534") == true)
        #expect(refusal(home.root + "/missing") != nil)
        try SecureDirectory.checkIfExists(home.root + "/missing")
    }
}
