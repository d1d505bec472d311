@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// One backend the conformance suite holds to the protocol's behaviour: the qemu backend, the
/// libvirt backend on the system libvirtd, and the in-memory fake.
struct ConformanceSubject: Sendable, CustomTestStringConvertible {
    let label: String
    /// Opens a fresh backend; the handle cleans up whatever the test started.
    let open: @Sendable () async throws -> ConformanceHandle

    var testDescription: String { label }

    /// Every subject, or those named in `UNITOP_CONFORMANCE` (comma-separated labels) for a
    /// quicker run while working on one backend.
    static let all: [ConformanceSubject] = {
        let every = [qemu, libvirt, fake]
        guard let only = ProcessInfo.processInfo.environment["UNITOP_CONFORMANCE"], !only.isEmpty else { return every }
        let wanted = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        return every.filter { wanted.contains($0.label) }
    }()

    static let qemu = ConformanceSubject(label: "qemu") {
        let env = try QEMUTestEnvironment()
        return ConformanceHandle(backend: env.backend) { _ in } finish: { env.backend.close(); env.cleanUp() }
    }

    static let libvirt = ConformanceSubject(label: "libvirt") {
        try await LibvirtSystemTests.requireLibvirtd()
        let (b, home) = try LibvirtTestSupport.backend(LibvirtSystemTests.uri)
        return ConformanceHandle(backend: b) { name in LibvirtSystemTests.cleanup(name) } finish: { b.close(); home.remove() }
    }

    static let fake = ConformanceSubject(label: "fake") {
        let b = InMemoryBackend()
        return ConformanceHandle(backend: b) { _ in } finish: { b.close() }
    }
}

/// A backend under test and how to leave the host as it was.
final class ConformanceHandle: Sendable {
    let backend: any UnikernelBackend
    private let cleanupName: @Sendable (String) -> Void
    private let finish: @Sendable () -> Void

    init(backend: any UnikernelBackend, cleanup: @escaping @Sendable (String) -> Void, finish: @escaping @Sendable () -> Void) {
        self.backend = backend
        self.cleanupName = cleanup
        self.finish = finish
    }

    /// A name unique to this run, prefixed so a leftover is recognisable.
    func uniqueName(_ base: String) -> String { "ct-\(base)-\(String(UInt32.random(in: 0...0xff_ffff), radix: 16))" }

    /// A launch spec for a fixture, with the defaults every backend accepts.
    func spec(_ fixture: String, name: String, append: String = "") throws -> LaunchSpec {
        let path = Fixtures.path(fixture)
        try #require(FileManager.default.fileExists(atPath: path), "fixture \(path) missing: run make -C fixtures (or set UNITOP_FIXTURES)")
        return LaunchSpec(name: name, imagePath: path, memoryMiB: 32, cpus: 1, append: append)
    }

    /// Runs `body`, then (whether it threw or not) ends and forgets `names` and closes the backend.
    func withCleanup(_ names: [String], _ body: () async throws -> Void) async throws {
        do { try await body() } catch {
            await tearDown(names)
            throw error
        }
        await tearDown(names)
    }

    /// Ends and forgets `names` whatever state they are in, then closes the backend.
    func tearDown(_ names: [String]) async {
        for name in names {
            _ = try? await backend.remove(name, force: true)
            cleanupName(name)
        }
        finish()
    }

    /// The instance once `condition` holds (nil if it never did within `timeout`).
    func waitFor(_ name: String, timeout: Double = 30, _ condition: @escaping (Instance) -> Bool) async -> Instance? {
        var last: Instance?
        let ok = await Wait.until(timeout: timeout, interval: 0.05) { () async -> Bool in
            last = try? await self.backend.instance(named: name)
            return last.map(condition) ?? false
        }
        return ok ? last : nil
    }
}
