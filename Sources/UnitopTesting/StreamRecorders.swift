import Models
import Synchronization

/// Records a console stream in the background, for assertions with ``Wait``.
public final class ConsoleRecorder: Sendable {
    private struct Record {
        var bytes: [UInt8] = []
        var finished = false
        var error: (any Error)?
    }

    private let record = Mutex(Record())
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts reading `stream` at once.
    public init(_ stream: AsyncThrowingStream<[UInt8], Error>) {
        let t = Task { [weak self] in
            do {
                for try await chunk in stream { self?.record.withLock { $0.bytes += chunk } }
                self?.record.withLock { $0.finished = true }
            } catch {
                self?.record.withLock { $0.finished = true; $0.error = error }
            }
        }
        task.withLock { $0 = t }
    }

    /// Every byte received so far.
    public var bytes: [UInt8] { record.withLock { $0.bytes } }
    /// The bytes so far as text (invalid UTF-8 repaired).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    /// Whether the stream has finished (normally or with an error).
    public var finished: Bool { record.withLock { $0.finished } }
    /// The error the stream finished with, if any.
    public var error: (any Error)? { record.withLock { $0.error } }

    /// Stops reading (the stream's termination handler runs).
    public func cancel() { task.withLock { $0?.cancel() } }

    /// Whether the text so far contains `s`.
    public func contains(_ s: String) -> Bool { text.contains(s) }

    /// Waits until the text contains `s`.
    public func wait(for s: String, timeout: Double = 30) async -> Bool {
        await Wait.until(timeout: timeout) { () async -> Bool in self.contains(s) }
    }
}

/// Records backend events in the background, for assertions with ``Wait``.
public final class EventRecorder: Sendable {
    private let items = Mutex<[BackendEvent]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts reading `stream` at once.
    public init(_ stream: AsyncStream<BackendEvent>) {
        let t = Task { [weak self] in
            for await e in stream { self?.items.withLock { $0.append(e) } }
        }
        task.withLock { $0 = t }
    }

    /// Every event received so far.
    public var events: [BackendEvent] { items.withLock { $0 } }

    /// Whether an `instanceChanged` for `name` satisfying `match` was seen.
    public func saw(_ name: String, _ match: (Instance) -> Bool = { _ in true }) -> Bool {
        events.contains { if case .instanceChanged(let i) = $0 { return i.name == name && match(i) } else { return false } }
    }

    /// Whether an `instanceChanged` for `name` in `state` was seen.
    public func sawState(_ name: String, _ state: InstanceState) -> Bool { saw(name) { $0.state == state } }

    /// The newest `instanceChanged` value for `name`.
    public func lastInstance(_ name: String) -> Instance? {
        for e in events.reversed() { if case .instanceChanged(let i) = e, i.name == name { return i } }
        return nil
    }

    /// Stops reading.
    public func cancel() { task.withLock { $0?.cancel() } }
}
