import Foundation
import Models

/// Fans backend events out to independent subscribers (each ``UnikernelBackend/events()`` call).
final class LibvirtEventHub: @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<BackendEvent>.Continuation] = [:]
    /// Called with the new subscriber count whenever it changes.
    private let onCountChange: @Sendable (Int) -> Void

    init(onCountChange: @escaping @Sendable (Int) -> Void) {
        self.onCountChange = onCountChange
    }

    var count: Int { lock.withLock { subscribers.count } }

    /// A new subscription; `initial` events are delivered to it first.
    func subscribe(initial: [BackendEvent] = []) -> AsyncStream<BackendEvent> {
        let (stream, continuation) = AsyncStream<BackendEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id = UUID()
        for e in initial { continuation.yield(e) }
        let n: Int = lock.withLock { subscribers[id] = continuation; return subscribers.count }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            let n: Int = self.lock.withLock { self.subscribers.removeValue(forKey: id); return self.subscribers.count }
            self.onCountChange(n)
        }
        onCountChange(n)
        return stream
    }

    func emit(_ event: BackendEvent) {
        let targets = lock.withLock { Array(subscribers.values) }
        for t in targets { t.yield(event) }
    }

    func finishAll() {
        let targets: [AsyncStream<BackendEvent>.Continuation] = lock.withLock {
            let t = Array(subscribers.values); subscribers.removeAll(); return t
        }
        for t in targets { t.finish() }
    }
}
