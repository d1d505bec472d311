@testable import Backends
import CLibvirt
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Models
import Testing
import UnitopTesting

/// The libvirt backend against libvirt's built-in test driver (`test:///default`, no daemon).
/// Its state is shared by every connection in the process, so each test puts the domain "test"
/// back to running when it is done.
@Suite(.serialized)
struct LibvirtTestDriverTests {
    static let uri = "test:///default"

    private func withBackend(_ body: (LibvirtBackend) async throws -> Void) async throws {
        let (backend, home) = try LibvirtTestSupport.backend(Self.uri)
        defer { backend.close(); home.remove() }
        do {
            try await body(backend)
        } catch {
            try? await Self.restoreTestDomain(backend)
            throw error
        }
        try await Self.restoreTestDomain(backend)
    }

    /// Puts the built-in domain "test" back to running.
    static func restoreTestDomain(_ backend: LibvirtBackend) async throws {
        try await backend.connection.call { c in
            guard let d = virDomainLookupByName(c, "test") else { return }
            defer { virDomainFree(d) }
            var state: Int32 = 0, reason: Int32 = 0
            _ = virDomainGetState(d, &state, &reason, 0)
            if state == Int32(VIR_DOMAIN_PAUSED.rawValue) { _ = virDomainResume(d) }
            if state == Int32(VIR_DOMAIN_SHUTOFF.rawValue) { _ = virDomainCreate(d) }
        }
    }

    @Test func listsTheTestDomainAsForeign() async throws {
        try await withBackend { backend in
            #expect(backend.host == "test")
            let list = try await backend.instances()
            let test = try #require(list.first { $0.name == "test" })
            #expect(test.state == .running)
            #expect(test.backend == .libvirt)
            #expect(test.host == "test")
            #expect(test.managed == false)
            #expect(test.memoryMiB > 0)
            #expect(test.cpus >= 1)
            #expect(test.pid == nil)
        }
    }

    @Test func pauseAndResume() async throws {
        try await withBackend { backend in
            try await backend.pause("test")
            #expect(try await backend.instance(named: "test").state == .paused)
            try await backend.resume("test")
            #expect(try await backend.instance(named: "test").state == .running)
        }
    }

    @Test func lifecycleEventsArriveOnEveryEventStream() async throws {
        try await withBackend { backend in
            let a = LibvirtTestSupport.EventLog(backend.events())
            let b = LibvirtTestSupport.EventLog(backend.events())
            defer { a.cancel(); b.cancel() }
            try #require(await LibvirtTestSupport.eventually(timeout: 10) { backend.isConnected })
            try await backend.pause("test")
            #expect(await LibvirtTestSupport.eventually(timeout: 10) { a.sawState("test", .paused) && b.sawState("test", .paused) })
            try await backend.resume("test")
            #expect(await LibvirtTestSupport.eventually(timeout: 10) { a.sawState("test", .running) && b.sawState("test", .running) })
            try await backend.kill("test")
            #expect(await LibvirtTestSupport.eventually(timeout: 10) { a.sawState("test", .stopped) })
            #expect(a.lastInstance("test")?.exitReason == "killed")
        }
    }

    @Test func destroyStopsTheDomain() async throws {
        try await withBackend { backend in
            try await backend.kill("test")
            let after = try await backend.instance(named: "test")
            #expect(after.state == .stopped)
            #expect(after.exitReason == "destroyed")
            await #expect(throws: UnitopError.self) { try await backend.kill("test") }
        }
    }

    @Test func unknownDomainsAreReportedAsNotFound() async throws {
        try await withBackend { backend in
            await #expect(throws: UnitopError.instanceNotFound("no-such-domain")) { try await backend.pause("no-such-domain") }
            await #expect(throws: UnitopError.instanceNotFound("no-such-domain")) { try await backend.instance(named: "no-such-domain") }
            await #expect(throws: UnitopError.instanceNotFound("no-such-domain")) { try await backend.stop("no-such-domain", timeoutSeconds: 1) }
            await #expect(throws: UnitopError.instanceNotFound("no-such-domain")) { try await backend.remove("no-such-domain", force: true) }
            await #expect(throws: UnitopError.instanceNotFound("no-such-domain")) {
                try await backend.sendConsoleInput("no-such-domain", bytes: [0x41])
            }
        }
    }

    @Test func namesWithXMLSpecialCharactersAreRejected() async throws {
        try await withBackend { backend in
            for bad in ["a<b", "x&y", "q\"uote", "it's", "a>b", "../etc"] {
                await #expect(throws: UnitopError.self) {
                    _ = try await backend.start(LaunchSpec(name: bad, imagePath: "/nonexistent"))
                }
                #expect(throws: UnitopError.self) {
                    _ = try DomainXMLBuilder(name: bad, kernelPath: "/k", append: "", memoryMiB: 32, cpus: 1,
                                             machine: "pc", kvm: false, logPath: "/l").build()
                }
            }
            let names = try await backend.instances().map(\.name)
            #expect(names.allSatisfy { !$0.contains("<") && !$0.contains("&") })
        }
    }

    @Test func userValuesAreEscapedInTheDomainXML() throws {
        let append = #"a&b <c> "d" 'e' ]]> &amp;"#
        let image = "/img/we<ird> & 'name'.elf"
        let meta = DomainMetadata(image: image, kernelCopy: nil, append: append, machine: "pc", accel: "tcg",
                                  startedAt: Date(timeIntervalSince1970: 1_800_000_000.5), logPath: "/var/log/x&y.log")
        let xml = try DomainXMLBuilder(name: "esc-test", kernelPath: "/k/a&b'c.elf", append: append, memoryMiB: 32, cpus: 2,
                                       machine: "pc", kvm: true, logPath: "/var/log/x&y.log", metadata: meta).build()
        #expect(!xml.contains("a&b <c>"))
        let doc = try XMLDocument(data: Data(xml.utf8), options: [])
        func text(_ xpath: String) throws -> String? { try doc.nodes(forXPath: xpath).first?.stringValue }
        #expect(try text("/domain/os/cmdline") == append)
        #expect(try text("/domain/os/kernel") == "/k/a&b'c.elf")
        #expect(try text("/domain/name") == "esc-test")
        #expect(try text("/domain/devices/serial/log/@file") == "/var/log/x&y.log")
        #expect(try text("/domain/@type") == "kvm")
        #expect(try text("/domain/cpu/model") == "kvm64")
        #expect(try text("/domain/vcpu") == "2")
        #expect(try text("/domain/on_crash") == "destroy")
        // The metadata element parses back to the same values.
        let metaXML = meta.xmlElement()
        let parsed = try #require(DomainMetadata.parse(metaXML))
        #expect(parsed == meta)
        // Control characters cannot be represented in XML 1.0: rejected, not silently mangled.
        #expect(throws: UnitopError.self) {
            _ = try DomainXMLBuilder(name: "ctl", kernelPath: "/k", append: "a\u{1}b", memoryMiB: 32, cpus: 1,
                                     machine: "pc", kvm: false, logPath: "/l").build()
        }
        #expect(throws: UnitopError.self) {
            _ = try DomainXMLBuilder(name: "m", kernelPath: "/k", append: "", memoryMiB: 32, cpus: 1,
                                     machine: "pc' evil='1", kvm: false, logPath: "/l").build()
        }
        // TCG: no <cpu> element (QEMU's default model boots).
        let tcg = try DomainXMLBuilder(name: "t", kernelPath: "/k", append: "", memoryMiB: 32, cpus: 1,
                                       machine: "pc", kvm: false, logPath: "/l").build()
        #expect(tcg.contains("<domain type='qemu'"))
        #expect(!tcg.contains("<cpu"))
    }

    @Test func hostLabelsAndURIChecks() throws {
        #expect(try LibvirtURI("qemu:///system").hostLabel == "system")
        #expect(try LibvirtURI("qemu:///session").hostLabel == "session")
        #expect(try LibvirtURI("test:///default").hostLabel == "test")
        #expect(try LibvirtURI("qemu+ssh://root@lab1:2222/system").hostLabel == "lab1")
        #expect(try LibvirtURI("qemu+tcp://127.0.0.1/system").hostLabel == "127.0.0.1")
        #expect(try LibvirtURI("qemu+ssh://me@lab2/session").hostLabel == "lab2:session")
        #expect(try LibvirtURI("qemu+tcp://[::1]:16509/system").hostLabel == "::1")
        #expect(try LibvirtURI("qemu+tcp://127.0.0.1/system").isThisMachine)
        #expect(try !LibvirtURI("qemu+ssh://lab1/system").isThisMachine)
        #expect(throws: UnitopError.self) { _ = try LibvirtURI("bogus://host/system") }
        #expect(throws: UnitopError.self) { _ = try LibvirtURI("xen:///system") }
        #expect(throws: UnitopError.self) { _ = try LibvirtURI("qemu+carrier-pigeon://h/system") }
        #expect(throws: UnitopError.self) { _ = try LibvirtURI("not a uri") }
        let home = try TemporaryHome(prefix: "lvuri")
        defer { home.remove() }
        #expect(throws: UnitopError.self) {
            _ = try LibvirtBackend(uri: "bogus://x/system", paths: UnitopPaths.resolve(environment: home.environment), config: Config())
        }
        var config = Config()
        config.libvirtURIs = ["test:///default", "qemu+tcp://127.0.0.1/system", "test:///default"]
        let uris = LibvirtURISelection.all(explicit: nil, config: config, environment: [:])
        #expect(uris == ["test:///default", "qemu+tcp://127.0.0.1/system"])
        let all = try uris.map { try LibvirtBackend(uri: $0, paths: UnitopPaths.resolve(environment: home.environment), config: config) }
        #expect(all.map(\.host) == ["test", "127.0.0.1"])
        for b in all { b.close() }
    }

    @Test func unreachableURIFailsWithinTheTimeout() async throws {
        // Connection refused: fails at once with libvirt's message and the URI.
        let (refused, home1) = try LibvirtTestSupport.backend("qemu+tcp://127.0.0.1:1/system", timeout: 5)
        defer { refused.close(); home1.remove() }
        let t0 = Date()
        do {
            _ = try await refused.instances()
            Issue.record("listing an unreachable host succeeded")
        } catch let UnitopError.connection(uri, message) {
            #expect(uri == "qemu+tcp://127.0.0.1:1/system")
            #expect(!message.isEmpty)
        }
        #expect(Date().timeIntervalSince(t0) < 5.5 * Wait.timeoutScale)

        // A listener that accepts but never answers: the timeout fires.
        let listener = try SilentListener()
        defer { listener.close() }
        let (silent, home2) = try LibvirtTestSupport.backend("qemu+tcp://127.0.0.1:\(listener.port)/system", timeout: 2)
        defer { silent.close(); home2.remove() }
        let t1 = Date()
        do {
            _ = try await silent.instances()
            Issue.record("listing a silent host succeeded")
        } catch let UnitopError.connection(_, message) {
            #expect(message.contains("no answer within 2 s"))
        }
        #expect(Date().timeIntervalSince(t1) < 4 * Wait.timeoutScale)
    }
}
