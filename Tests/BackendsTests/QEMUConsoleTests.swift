import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting

@Suite("QEMU backend: console and events", .serialized)
struct QEMUConsoleTests {
    /// Checks the FLOOD-END trailer against the `count` bytes before it; returns the flood bytes.
    static func verifyFlood(_ bytes: [UInt8], count: Int) throws -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        let marker = Array("FLOOD-END bytes=\(count) fnv1a32=".utf8)
        guard let r = bytes.firstRange(of: marker) else { return false }
        let hexStart = r.upperBound
        guard bytes.count >= hexStart + 8 else { return false }
        let hex = String(decoding: bytes[hexStart..<(hexStart + 8)], as: UTF8.self)
        guard r.lowerBound >= count, let want = UInt32(hex, radix: 16) else { return false }
        _ = text
        return QEMUTest.fnv1a32(bytes[(r.lowerBound - count)..<r.lowerBound]) == want
    }

    @Test func floodIsLoggedAndStreamedExactly() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let b = env.backend
        _ = try await b.start(try env.spec("flood", name: "flood", append: "bytes=200000"))
        let live = ConsoleCollector(b.console("flood", history: .all, follow: true))
        defer { live.cancel() }
        let done = try await QEMUTest.waitForState(b, "flood", [.exited, .crashed, .stopped], timeout: 60)
        #expect(done.state == .exited)
        #expect(await Wait.until(timeout: 20) { () async -> Bool in live.finished })
        let log = try #require(FileIO.readSmall(env.files("flood").consoleLog, limit: 1 << 24))
        #expect(try Self.verifyFlood(log, count: 200_000))
        #expect(live.bytes == log)
        // A non-following reader gets the same history and finishes.
        let again = ConsoleCollector(b.console("flood", history: .all, follow: false))
        #expect(await Wait.until(timeout: 10) { () async -> Bool in again.finished })
        #expect(again.bytes == log)
        let tail = ConsoleCollector(b.console("flood", history: .tail(bytes: 100), follow: false))
        #expect(await Wait.until(timeout: 10) { () async -> Bool in tail.finished })
        #expect(tail.bytes == Array(log.suffix(100)))
    }

    @Test func rotationKeepsTheCapAndTheStreamWhole() async throws {
        var config = Config()
        config.consoleLogMaxBytes = 64 << 10
        let env = try QEMUTestEnvironment(config: config)
        defer { env.cleanUp() }
        let b = env.backend
        _ = try await b.start(try env.spec("flood", name: "rot", append: "bytes=150000"))
        let live = ConsoleCollector(b.console("rot", history: .all, follow: true))
        defer { live.cancel() }
        _ = try await QEMUTest.waitForState(b, "rot", [.exited, .crashed, .stopped], timeout: 60)
        #expect(await Wait.until(timeout: 20) { () async -> Bool in live.finished })
        let f = env.files("rot")
        let cur = try #require(FileIO.readSmall(f.consoleLog, limit: 1 << 24))
        let prev = try #require(FileIO.readSmall(f.consoleLogPrevious, limit: 1 << 24))
        #expect(cur.count + prev.count <= config.consoleLogMaxBytes)
        // The follower started at boot, so it saw every byte across the rotations.
        #expect(try Self.verifyFlood(live.bytes, count: 150_000))
        #expect(Array(live.bytes.suffix(cur.count + prev.count)) == prev + cur)
    }

    @Test func secondBackendReattachesAndEventsFlow() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let events = env.backend.events()
        let collected = EventCollector(events)
        defer { collected.cancel() }
        _ = try await env.backend.start(try env.spec("hello", name: "shared"))
        #expect(await Wait.until(timeout: 20) { () async -> Bool in collected.states("shared").contains(.running) })

        let other = try env.secondBackend()
        let listed = try await other.instances()
        #expect(listed.map(\.name) == ["shared"])
        #expect(listed.first?.state == .running)
        let viewer = ConsoleCollector(other.console("shared", history: .all, follow: true))
        defer { viewer.cancel() }
        #expect(await viewer.wait(for: "unitop-fixture hello booted"))
        #expect(await viewer.wait(for: "heartbeat 2"))
        try await other.sendConsoleInput("shared", bytes: Array("from-two\r".utf8))
        #expect(await viewer.wait(for: "you typed: from-two"))
        #expect(await Wait.until(timeout: 10) { () async -> Bool in collected.hasStats("shared") })

        try await other.kill("shared")
        #expect(await Wait.until(timeout: 10) { () async -> Bool in collected.states("shared").contains(.stopped) })
        #expect(await Wait.until(timeout: 10) { () async -> Bool in viewer.finished })
        try await other.remove("shared", force: false)
        #expect(await Wait.until(timeout: 10) { () async -> Bool in collected.removed.contains("shared") })
        #expect(collected.changedNames == ["shared"])

        // The same name again: the new instance's changes are seen too.
        let before = collected.states("shared").count
        _ = try await env.backend.start(try env.spec("idle", name: "shared"))
        #expect(await Wait.until(timeout: 20) { () async -> Bool in collected.states("shared").dropFirst(before).contains(.running) })
        try await env.backend.kill("shared")
        #expect(await Wait.until(timeout: 10) { () async -> Bool in collected.states("shared").dropFirst(before).contains(.stopped) })
    }
}

/// Collects backend events in the background.
final class EventCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [BackendEvent] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<BackendEvent>) {
        task = Task { [self] in for await e in stream { add(e) } }
    }

    private func add(_ e: BackendEvent) { lock.lock(); seen.append(e); lock.unlock() }
    private var all: [BackendEvent] { lock.lock(); defer { lock.unlock() }; return seen }

    func states(_ name: String) -> [InstanceState] {
        all.compactMap { if case .instanceChanged(let i) = $0, i.name == name { return i.state }; return nil }
    }

    func hasStats(_ name: String) -> Bool {
        all.contains {
            if case .statsBatch(let batch) = $0 { return batch.contains { $0.key.name == name && ($0.value.rssBytes ?? 0) > 0 } }
            return false
        }
    }

    /// Names that appeared in `instanceChanged` events.
    var changedNames: Set<String> {
        Set(all.compactMap { if case .instanceChanged(let i) = $0 { return i.name }; return nil })
    }

    var removed: [String] {
        all.compactMap { if case .instanceRemoved(let id) = $0 { return id.name }; return nil }
    }

    func cancel() { task?.cancel() }
}
