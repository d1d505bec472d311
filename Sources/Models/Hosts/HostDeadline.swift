import Foundation
import Synchronization

/// Runs one host's operation with its own deadline, without waiting for an operation that overran.
///
/// A backend call that blocks (a libvirt connection to a host that does not answer) cannot be
/// cancelled; past the deadline the caller gets ``HostDeadline/Overrun`` and goes on, and the
/// call finishes (or not) on its own.
public enum HostDeadline {
    /// The operation did not finish within `seconds`.
    public struct Overrun: Error, CustomStringConvertible {
        public let seconds: Double
        public var description: String { "no answer within \(Formatting.oneDecimal(seconds)) s" }
    }

    /// The operation's result, or ``Overrun`` once `seconds` have passed.
    public static func run<T: Sendable>(
        seconds: Double, _ operation: @escaping @Sendable () async throws -> T
    ) async -> Result<T, any Error> {
        let once = Once<Result<T, any Error>>()
        return await withCheckedContinuation { (c: CheckedContinuation<Result<T, any Error>, Never>) in
            once.set(c)
            let work = Task {
                do { once.finish(.success(try await operation())) } catch { once.finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: .milliseconds(Int64(max(0, seconds) * 1000)))
                if once.finish(.failure(Overrun(seconds: seconds))) { work.cancel() }
            }
        }
    }

    /// Resumes a continuation exactly once, with whichever result comes first.
    private final class Once<Value: Sendable>: Sendable {
        private let state = Mutex<(CheckedContinuation<Value, Never>?, Bool)>((nil, false))

        func set(_ c: CheckedContinuation<Value, Never>) {
            state.withLock { $0.0 = c }
        }

        /// True when this call resumed the continuation.
        @discardableResult
        func finish(_ value: Value) -> Bool {
            let c: CheckedContinuation<Value, Never>? = state.withLock {
                guard !$0.1, let c = $0.0 else { return nil }
                $0.1 = true
                $0.0 = nil
                return c
            }
            c?.resume(returning: value)
            return c != nil
        }
    }
}
