import Foundation
import Models
import Testing
import UnitopTesting

/// ``Fleet``: one listing and one name space over several hosts, each host under its own deadline.
@Suite struct FleetTests {
    /// A host that never answers (a libvirt host behind a black hole), or that refuses at once.
    final class SilentBackend: UnikernelBackend, Sendable {
        let kind = BackendKind.libvirt
        let host: String
        let refuse: Bool
        let capabilities = BackendCapabilities.all
        init(host: String, refuse: Bool = false) { self.host = host; self.refuse = refuse }

        private func wait<T>() async throws -> T {
            if refuse { throw UnitopError.connection(uri: "qemu+tcp://\(host)/system", message: "Connection refused") }
            try await Task.sleep(for: .seconds(3600))
            throw CancellationError()
        }
        func instances() async throws -> [Instance] { try await wait() }
        func instance(named name: String) async throws -> Instance { try await wait() }
        func start(_ spec: LaunchSpec) async throws -> Instance { try await wait() }
        func stop(_ name: String, timeoutSeconds: Double) async throws { try await wait() as Void }
        func kill(_ name: String) async throws { try await wait() as Void }
        func pause(_ name: String) async throws { try await wait() as Void }
        func resume(_ name: String) async throws { try await wait() as Void }
        func restart(_ name: String) async throws { try await wait() as Void }
        func remove(_ name: String, force: Bool) async throws { try await wait() as Void }
        func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
            AsyncThrowingStream { $0.finish() }
        }
        func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws {}
        func events() -> AsyncStream<BackendEvent> { AsyncStream { $0.finish() } }
        func close() {}
    }

    /// Two in-memory hosts, `local` and `lab1`, both running `web`; `local` also runs `db`.
    func twoHosts() async throws -> (InMemoryBackend, InMemoryBackend, TemporaryHome) {
        let home = try TemporaryHome()
        let image = home.root + "/k.elf"
        try Data([0x7F]).write(to: URL(fileURLWithPath: image))
        let local = InMemoryBackend(kind: .qemu, host: "local"), lab = InMemoryBackend(kind: .libvirt, host: "lab1")
        for (b, name) in [(local, "web"), (local, "db"), (lab, "web")] {
            _ = try await b.start(LaunchSpec(name: name, imagePath: image))
        }
        return (local, lab, home)
    }

    @Test func listsEveryHostAndResolvesNames() async throws {
        let (local, lab, home) = try await twoHosts(); defer { home.remove() }
        let fleet = Fleet(backends: [local, lab])
        let listing = await fleet.instances()
        #expect(listing.failures.isEmpty)
        #expect(listing.instances.map { "\($0.host)/\($0.name)" } == ["local/db", "local/web", "lab1/web"])

        #expect(try await fleet.resolve(InstanceReference(parsing: "db")).backend.host == "local")
        #expect(try await fleet.resolve(InstanceReference(parsing: "lab1/web")).backend.host == "lab1")
        await #expect {
            _ = try await fleet.resolve(InstanceReference(parsing: "web"))
        } throws: { error in
            "\(error)".contains("ambiguous instance name 'web'") && "\(error)".contains("local/web, lab1/web")
        }
        await #expect(throws: UnitopError.instanceNotFound("nope")) { _ = try await fleet.resolve(InstanceReference(parsing: "nope")) }
        await #expect { _ = try await fleet.resolve(InstanceReference(parsing: "lab9/web")) } throws: { "\($0)".contains("unknown host 'lab9'") }

        let narrowed = try fleet.narrowed(to: "lab1")
        let narrowedList = await narrowed.instances()
        #expect(narrowedList.instances.map(\.host) == ["lab1"])
        #expect(try await narrowed.resolve(InstanceReference(parsing: "web")).backend.host == "lab1")
        #expect(throws: UnitopError.self) { try fleet.narrowed(to: "elsewhere") }
    }

    @Test func anUnreachableHostCostsItsDeadlineOnlyAndIsReported() async throws {
        let (local, lab, home) = try await twoHosts(); defer { home.remove() }
        let fleet = Fleet(backends: [local, SilentBackend(host: "void"), lab, SilentBackend(host: "refused", refuse: true)],
                          deadlineSeconds: 0.3)
        let started = ContinuousClock.now
        let listing = await fleet.instances()
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(2), "the silent host held the listing for \(elapsed)")
        #expect(listing.instances.count == 3)
        #expect(listing.failures.map(\.description) == [
            "void: unreachable: no answer within 0.3 s", "refused: unreachable: Connection refused",
        ])
        #expect(listing.failures.allSatisfy { $0.isUnreachable })

        // A unique name is found although other hosts are silent; they are reported alongside.
        let db = try await fleet.resolve(InstanceReference(parsing: "db"))
        #expect(db.backend.host == "local" && db.failures.map(\.host) == ["void", "refused"])
        // A name found nowhere that answered says which hosts could not be asked.
        await #expect { _ = try await fleet.resolve(InstanceReference(parsing: "gone")) } throws: {
            "\($0)".contains("no answer from void, refused")
        }
    }

    @Test func referencesParseStrictly() throws {
        #expect(try InstanceReference(parsing: "web") == InstanceReference(host: nil, name: "web"))
        #expect(try InstanceReference(parsing: "127.0.0.1:session/web") == InstanceReference(host: "127.0.0.1:session", name: "web"))
        for bad in ["../etc", "/web", "lab1/", "a b/web", "lab1/../x", "-x/web"] {
            #expect(throws: UnitopError.self, "\(bad)") { try InstanceReference(parsing: bad) }
        }
    }
}
