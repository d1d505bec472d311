@testable import Backends
import Foundation
import Models
import Synchronization
import Testing
import UnitopTesting

/// The bounded hand-over between a console follower and its consumer.
@Suite("Console chunk channel")
struct ConsoleChunkChannelTests {
    final class Counter: Sendable {
        let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    @Test func holdsAtMostItsCapacityAndCallsBackWhenTheConsumerTakesSome() async throws {
        let channel = ConsoleChunkChannel(capacityBytes: 10)
        let spaced = Counter()
        #expect(channel.offer([1, 2, 3, 4, 5, 6]))
        #expect(channel.space == 4)
        #expect(channel.offer([7, 8, 9, 10]))
        #expect(channel.space == 0)
        channel.whenSpace { spaced.add() }
        #expect(spaced.count == 0)
        var it = channel.stream().makeAsyncIterator()
        #expect(try await it.next() == [1, 2, 3, 4, 5, 6])
        #expect(spaced.count == 1)
        #expect(channel.space == 6)
        channel.finish(throwing: UnitopError.failed("broken log"))
        // What was offered before the end still arrives, then the error.
        #expect(try await it.next() == [7, 8, 9, 10])
        await #expect(throws: UnitopError.failed("broken log")) { _ = try await it.next() }
        #expect(channel.peakBufferedBytes == 10)
    }

    @Test func aWaitingConsumerGetsTheChunkDirectly() async throws {
        let channel = ConsoleChunkChannel(capacityBytes: 4)
        let stream = channel.stream()
        let reader = Task { () -> [[UInt8]] in
            var got: [[UInt8]] = []
            for try await c in stream { got.append(c) }
            return got
        }
        for i in 0..<50 {
            _ = await Wait.until(timeout: 10, interval: 0.001) { channel.space > 0 }
            #expect(channel.offer([UInt8(i)]))
        }
        channel.finish()
        let got = try await reader.value
        #expect(got.flatMap { $0 } == (0..<50).map { UInt8($0) })
        #expect(channel.peakBufferedBytes <= 4)
    }

    @Test func cancellingTheConsumerStopsTheProducerOnce() async throws {
        let channel = ConsoleChunkChannel(capacityBytes: 100)
        let cancelled = Counter()
        channel.onCancel { cancelled.add() }
        let started = Counter()
        let reader = Task {
            started.add()
            for try await _ in channel.stream() {}
        }
        #expect(await Wait.until(timeout: 10) { started.count == 1 })
        reader.cancel()
        #expect(await Wait.until(timeout: 10) { cancelled.count == 1 })
        #expect(!channel.offer([1]))
        #expect(channel.space == 0)
        channel.cancel()
        #expect(cancelled.count == 1)
    }
}
