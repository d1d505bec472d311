@testable import Backends
import Foundation
import Models
import QEMUMonitor
import Synchronization
import Testing
import UnitopTesting
#if canImport(Glibc)
import Glibc
#endif

/// Resources of the QEMU backend's console streams: bounded buffering for slow consumers, and
/// nothing left behind by `close()`.
@Suite("QEMU backend: stream limits and close", .serialized)
struct QEMUStreamLimitsTests {
    @Test func slowConsumerGetsTheWholeLogWithABoundedBuffer() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let b = env.backend
        let flood = 400_000
        _ = try await b.start(try env.spec("flood", name: "slow", append: "bytes=\(flood)"))
        let capacity = 16 << 10
        let channel = ConsoleChunkChannel(capacityBytes: capacity)
        let stream = b.console("slow", history: .all, follow: true, through: channel)
        let log = env.files("slow").consoleLog
        var received: [UInt8] = []
        var fellBehind = false
        for try await chunk in stream {
            received += chunk
            // Slow: take the next chunk only once the guest has written well past what this
            // consumer has (or has finished), so the producer must hold back.
            let ahead = await Wait.until(timeout: 60, interval: 0.01) {
                var st = stat()
                let size = stat(log, &st) == 0 ? Int(st.st_size) : 0
                return size >= received.count + 4 * capacity || FileIO.exists(env.files("slow").exit)
            }
            #expect(ahead)
            if !FileIO.exists(env.files("slow").exit) { fellBehind = true }
        }
        let bytes = try #require(FileIO.readSmall(log, limit: 1 << 24))
        #expect(fellBehind)
        #expect(try QEMUConsoleTests.verifyFlood(bytes, count: flood))
        #expect(received == bytes)
        #expect(channel.peakBufferedBytes <= capacity)
        #expect(channel.peakBufferedBytes > 0)
    }

    /// Threads and descriptors of this process: all, and the backends' watch threads.
    static func census() -> (threads: Int, watchThreads: Int, fds: Int) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let watch = tasks.filter { t in
            let comm = FileIO.readSmall("/proc/self/task/\(t)/comm", limit: 64).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return comm.hasPrefix("unitop-qemu-wat")
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return (tasks.count, watch.count, fds.count)
    }

    /// Opens event subscriptions and console streams on `count` backends, then closes them.
    static func openAndClose(_ env: QEMUTestEnvironment, count: Int) async throws {
        var backends: [QEMUBackend] = []
        var consoles: [ConsoleCollector] = []
        final class Count: Sendable { let value = Mutex(0) }
        let eventsEnded = Count()
        var events: [Task<Void, Never>] = []
        for _ in 0..<count {
            let b = try env.secondBackend()
            backends.append(b)
            let stream = b.events()
            events.append(Task {
                for await _ in stream {}
                eventsEnded.value.withLock { $0 += 1 }
            })
            consoles.append(ConsoleCollector(b.console("idle", history: .all, follow: true)))
        }
        for c in consoles { #expect(await c.wait(for: "unitop-fixture idle")) }
        #expect(census().watchThreads >= 1)
        for b in backends { b.close() }
        #expect(await Wait.until(timeout: 10) { consoles.allSatisfy(\.finished) })
        #expect(await Wait.until(timeout: 10) { eventsEnded.value.withLock { $0 } == count })
        for e in events { e.cancel() }
        // A closed backend's new streams end at once.
        let late = ConsoleCollector(backends[0].console("idle", history: .all, follow: true))
        #expect(await Wait.until(timeout: 5) { late.finished })
    }

    @Test func closeEndsTheWatchThreadAndItsDescriptors() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("idle", name: "idle"))
        // Warm up (thread pools, lazily opened files), then measure.
        try await Self.openAndClose(env, count: 1)
        #expect(await Wait.until(timeout: 10) { Self.census().watchThreads == 0 })
        let before = Self.census()
        try await Self.openAndClose(env, count: 12)
        let back = await Wait.until(timeout: 15) {
            let now = Self.census()
            return now.watchThreads == 0 && now.fds <= before.fds && now.threads <= before.threads
        }
        let after = Self.census()
        #expect(back, "before \(before), after \(after)")
        try await env.backend.kill("idle")
    }
}
