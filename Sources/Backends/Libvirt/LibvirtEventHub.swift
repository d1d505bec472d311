import Foundation
import Models
import Synchronization

/// Fans backend events out to independent subscribers (each ``UnikernelBackend/events()`` call).
final class LibvirtEventHub: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<BackendEvent>.Continuation]>([:])
    /// Called with the new subscriber count whenever it changes.
    private let onCountChange: @Sendable (Int) -> Void

    init(onCountChange: @escaping @Sendable (Int) -> Void) {
        self.onCountChange = onCountChange
    }

    var count: Int { subscribers.withLock { $0.count } }

    /// A new subscription whose first events are those `initial` returns. `initial` runs under
    /// the hub's lock, so no event emitted meanwhile falls between the replay and the live
    /// events (an event may arrive twice, never be missed). Returns `initial`'s extra value too.
    func subscribe<T>(initial: () -> ([BackendEvent], T)) -> (AsyncStream<BackendEvent>, T) {
        let (stream, continuation) = AsyncStream<BackendEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id = UUID()
        let (n, extra): (Int, T) = subscribers.withLock {
            let (events, extra) = initial()
            for e in events { continuation.yield(e) }
            $0[id] = continuation
            return ($0.count, extra)
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            let n = self.subscribers.withLock { $0.removeValue(forKey: id); return $0.count }
            self.onCountChange(n)
        }
        onCountChange(n)
        return (stream, extra)
    }

    func emit(_ event: BackendEvent) {
        let targets = subscribers.withLock { Array($0.values) }
        for t in targets { t.yield(event) }
    }

    func finishAll() {
        let targets = subscribers.withLock { let t = Array($0.values); $0.removeAll(); return t }
        for t in targets { t.finish() }
    }
}
