import Synchronization

/// A bounded hand-over of console chunks from a producer thread to one async consumer.
///
/// At most ``capacityBytes`` wait in the channel. The producer asks for ``space`` and reads at
/// most that much from its log (the log on disk is the real buffer: the bytes not taken yet stay
/// there, behind a ``ConsoleLogCursor``), and registers ``whenSpace(_:)`` to be called once the
/// consumer has taken something. So a slow consumer holds the producer back instead of growing
/// memory, and nothing is dropped.
///
/// The consumer side is an `AsyncThrowingStream` (``stream()``); when it ends (cancelled,
/// abandoned, or iterated to the end) the producer's ``onCancel`` handler runs once.
final class ConsoleChunkChannel: Sendable {
    /// Default capacity: a few read chunks.
    static let defaultCapacityBytes = 256 << 10

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bufferedBytes = 0
        var peakBufferedBytes = 0
        var finished = false
        var failure: (any Error)?
        var cancelled = false
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var spaceHandler: (@Sendable () -> Void)?
        var cancelHandler: (@Sendable () -> Void)?
    }

    let capacityBytes: Int
    private let state = Mutex(State())

    init(capacityBytes: Int = ConsoleChunkChannel.defaultCapacityBytes) {
        self.capacityBytes = max(1, capacityBytes)
    }

    // MARK: producer

    /// Bytes the producer may offer now (0 when the consumer is gone or the channel is full).
    var space: Int {
        state.withLock { s in s.cancelled || s.finished ? 0 : max(0, capacityBytes - s.bufferedBytes) }
    }

    /// Whether the consumer has gone (the producer should stop).
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Most bytes ever waiting in the channel (the bound holds: never above ``capacityBytes``).
    var peakBufferedBytes: Int { state.withLock { $0.peakBufferedBytes } }

    /// Hands `chunk` (at most ``space`` bytes) to the consumer. False when the consumer has gone.
    @discardableResult
    func offer(_ chunk: [UInt8]) -> Bool {
        guard !chunk.isEmpty else { return !isCancelled }
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { s in
            guard !s.cancelled, !s.finished else { return nil }
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            precondition(s.bufferedBytes + chunk.count <= capacityBytes, "console chunk beyond the channel's space")
            s.chunks.append(chunk)
            s.bufferedBytes += chunk.count
            s.peakBufferedBytes = max(s.peakBufferedBytes, s.bufferedBytes)
            return nil
        }
        waiter?.resume(returning: chunk)
        return !isCancelled
    }

    /// Calls `handler` once, on the consumer's thread, after the consumer next takes a chunk
    /// (at once if the channel is empty already).
    func whenSpace(_ handler: @escaping @Sendable () -> Void) {
        let now: Bool = state.withLock { s in
            if s.cancelled || s.finished { return false }
            if s.bufferedBytes == 0 { return true }
            s.spaceHandler = handler
            return false
        }
        if now { handler() }
    }

    /// Sets what runs (once) when the consumer goes away.
    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let cancelled: Bool = state.withLock { s in
            if s.cancelled { return true }
            s.cancelHandler = handler
            return false
        }
        if cancelled { handler() }
    }

    /// Ends the stream after the chunks already offered; with `error`, it then throws.
    func finish(throwing error: (any Error)? = nil) {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { s in
            guard !s.finished else { return nil }
            s.finished = true
            s.failure = error
            s.spaceHandler = nil
            s.cancelHandler = nil
            defer { s.waiter = nil }
            return s.waiter
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    // MARK: consumer

    /// The consumer's view. Cancelling the consuming task, or dropping the stream, cancels.
    func stream() -> AsyncThrowingStream<[UInt8], any Error> {
        let consumer = Consumer(channel: self)
        return AsyncThrowingStream { try await consumer.next() }
    }

    /// Ends the consumer side: the producer's cancel handler runs (once).
    func cancel() {
        let (waiter, handler): (CheckedContinuation<[UInt8]?, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            guard !s.cancelled else { return (nil, nil) }
            s.cancelled = true
            s.chunks.removeAll(); s.head = 0; s.bufferedBytes = 0
            s.spaceHandler = nil
            defer { s.waiter = nil; s.cancelHandler = nil }
            return (s.waiter, s.cancelHandler)
        }
        waiter?.resume(returning: nil)
        handler?()
    }

    /// The next chunk; nil at the end.
    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8]?, any Error>) in
                enum Step { case chunk([UInt8], (@Sendable () -> Void)?), end((any Error)?), wait }
                let step: Step = state.withLock { s in
                    if s.head < s.chunks.count {
                        let chunk = s.chunks[s.head]
                        s.head += 1
                        s.bufferedBytes -= chunk.count
                        if s.head == s.chunks.count { s.chunks.removeAll(keepingCapacity: true); s.head = 0 }
                        defer { s.spaceHandler = nil }
                        return .chunk(chunk, s.spaceHandler)
                    }
                    if s.cancelled { return .end(nil) }
                    if s.finished { return .end(s.failure) }
                    s.waiter = c
                    return .wait
                }
                switch step {
                case .chunk(let chunk, let onSpace):
                    c.resume(returning: chunk)
                    onSpace?()
                case .end(let error):
                    if let error { c.resume(throwing: error) } else { c.resume(returning: nil) }
                case .wait:
                    break
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Holds the channel for the stream; when the stream is dropped the channel is cancelled.
    private final class Consumer: Sendable {
        let channel: ConsoleChunkChannel
        init(channel: ConsoleChunkChannel) { self.channel = channel }
        func next() async throws -> [UInt8]? {
            let chunk = try await channel.next()
            if chunk == nil { channel.cancel() }
            return chunk
        }
        deinit { channel.cancel() }
    }
}
