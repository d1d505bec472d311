/// A console stream whose source is found asynchronously (after a backend call) and then read
/// one chunk per pull, with no buffer of its own: the source's bound (``ConsoleChunkChannel``)
/// stays the only one, so a slow consumer still holds the producer back.
///
/// Cancelling the consuming task, or dropping the stream, drops the source (which ends it).
enum DeferredConsoleStream {
    /// - Parameter source: called on the first pull; nil means an empty stream.
    static func make(_ source: @escaping @Sendable () async throws -> AsyncThrowingStream<[UInt8], any Error>?)
        -> AsyncThrowingStream<[UInt8], any Error> {
        let forwarder = Forwarder(source: source)
        return AsyncThrowingStream { try await forwarder.next() }
    }

    private actor Forwarder {
        private enum Phase {
            case pending(@Sendable () async throws -> AsyncThrowingStream<[UInt8], any Error>?)
            case reading(AsyncThrowingStream<[UInt8], any Error>.AsyncIterator)
            case ended
        }

        private var phase: Phase

        init(source: @escaping @Sendable () async throws -> AsyncThrowingStream<[UInt8], any Error>?) {
            phase = .pending(source)
        }

        func next() async throws -> [UInt8]? {
            var iterator: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
            switch phase {
            case .ended:
                return nil
            case .reading(let it):
                iterator = it
            case .pending(let source):
                phase = .ended
                guard let stream = try await source() else { return nil }
                iterator = stream.makeAsyncIterator()
            }
            do {
                let chunk = try await iterator.next(isolation: self)
                phase = chunk == nil ? .ended : .reading(iterator)
                return chunk
            } catch {
                phase = .ended
                throw error
            }
        }
    }
}
