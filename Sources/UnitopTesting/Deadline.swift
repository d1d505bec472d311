import Foundation

/// Waits for conditions with a deadline (never a bare sleep as synchronisation).
public enum Wait {
    /// Polls `condition` every `interval` until it returns true or `timeout` passes, blocking
    /// the calling thread. Returns whether the condition became true. For synchronous code only:
    /// in async code use ``until(timeout:interval:_:)``, which does not hold a thread of the
    /// (two-thread, on this machine) cooperative pool while it waits.
    @discardableResult
    public static func blockingUntil(
        timeout: Double, interval: Double = 0.05, _ condition: () throws -> Bool
    ) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
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
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try await condition() { return true }
            if Date() >= deadline { return false }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
