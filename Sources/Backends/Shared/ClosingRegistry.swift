import Synchronization

/// The live streams of a backend, each with the handler that ends it, so the backend's
/// `close()` can end every one. Once closed, nothing new is admitted.
final class ClosingRegistry: Sendable {
    typealias Token = Int

    private struct State {
        var closers: [Token: @Sendable () -> Void] = [:]
        var next = 1
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Registers `closer`; nil when the registry is closed already (the caller ends its
    /// stream at once).
    func add(_ closer: @escaping @Sendable () -> Void) -> Token? {
        state.withLock { s in
            guard !s.closed else { return nil }
            defer { s.next += 1 }
            s.closers[s.next] = closer
            return s.next
        }
    }

    /// Forgets a stream that ended by itself.
    func remove(_ token: Token) {
        state.withLock { s in _ = s.closers.removeValue(forKey: token) }
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Live streams (for tests and diagnostics).
    var count: Int { state.withLock { $0.closers.count } }

    /// Closes the registry and runs every registered closer (outside the lock).
    func closeAll() {
        let closers = state.withLock { s in
            s.closed = true
            defer { s.closers.removeAll() }
            return Array(s.closers.values)
        }
        for c in closers { c() }
    }
}
