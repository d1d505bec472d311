import Foundation

/// Waits for conditions with a deadline (never a bare sleep as synchronisation).
public enum Wait {
    /// Multiplies every timeout: `UNITOP_TEST_TIMEOUT_SCALE` (1 to 20, default 1). The thread
    /// sanitizer run sets it, since instrumented code runs several times slower; tests that
    /// check an operation "fails fast" multiply their bound by it too.
    public static let timeoutScale: Double = {
        guard let text = ProcessInfo.processInfo.environment["UNITOP_TEST_TIMEOUT_SCALE"],
              let value = Double(text), value.isFinite else { return 1 }
        return min(max(value, 1), 20)
    }()

    /// Polls `condition` every `interval` until it returns true or `timeout` passes, blocking
    /// the calling thread. Returns whether the condition became true. For synchronous code only:
    /// in async code use ``until(timeout:interval:_:)``, which does not hold a thread of the
    /// (two-thread, on this machine) cooperative pool while it waits.
    @discardableResult
    public static func blockingUntil(
        timeout: Double, interval: Double = 0.05, _ condition: () throws -> Bool
    ) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout * timeoutScale)
        while true {
            if try condition() { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// Polls `condition` every `interval` until it returns true or `timeout` passes, suspending
    /// (not blocking) between polls. Returns whether the condition became true.
    @discardableResult
    public static func until(
        timeout: Double, interval: Double = 0.05, _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout * timeoutScale)
        while true {
            if try await condition() { return true }
            if Date() >= deadline { return false }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
