@testable import Backends
import Foundation
import Models
import Synchronization
import UnitopTesting

/// Helpers shared by the libvirt tests.
enum LibvirtTestSupport {
    /// `Wait.until` that always suspends between polls (the synchronous overload, which Swift picks
    /// for a closure without `await`, would block one of the few concurrency threads the backend
    /// under test also needs).
    static func eventually(timeout: Double, interval: Double = 0.05, _ condition: () async throws -> Bool) async rethrows -> Bool {
        try await Wait.until(timeout: timeout, interval: interval) { () async throws -> Bool in try await condition() }
    }

    /// A backend on `uri` with its state in a fresh temporary home.
    static func backend(_ uri: String, timeout: Double = 10) throws -> (LibvirtBackend, TemporaryHome) {
        let home = try TemporaryHome(prefix: "lvtest")
        let paths = UnitopPaths.resolve(environment: home.environment)
        return (try LibvirtBackend(uri: uri, paths: paths, config: Config(), connectTimeout: timeout), home)
    }

    /// Collects events from a stream in the background.
    final class EventLog: Sendable {
        private let items = Mutex<[BackendEvent]>([])
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(_ stream: AsyncStream<BackendEvent>) {
            let t = Task { [weak self] in
                for await e in stream { self?.items.withLock { $0.append(e) } }
            }
            task.withLock { $0 = t }
        }
        var events: [BackendEvent] { items.withLock { $0 } }
        func cancel() { task.withLock { $0?.cancel() } }

        /// Whether an `instanceChanged` for `name` with `state` was seen.
        func sawState(_ name: String, _ state: InstanceState) -> Bool {
            events.contains { if case .instanceChanged(let i) = $0 { return i.name == name && i.state == state } else { return false } }
        }
        func lastInstance(_ name: String) -> Instance? {
            for e in events.reversed() { if case .instanceChanged(let i) = e, i.name == name { return i } }
            return nil
        }
    }

    /// Collects console bytes in the background.
    final class ConsoleCapture: Sendable {
        private struct Captured {
            var bytes: [UInt8] = []
            var done = false
            var failure: Error?
        }
        private let captured = Mutex(Captured())
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(_ stream: AsyncThrowingStream<[UInt8], Error>) {
            let t = Task { [weak self] in
                do {
                    for try await chunk in stream { self?.captured.withLock { $0.bytes += chunk } }
                    self?.captured.withLock { $0.done = true }
                } catch {
                    self?.captured.withLock { $0.done = true; $0.failure = error }
                }
            }
            task.withLock { $0 = t }
        }
        var text: String { captured.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
        var isDone: Bool { captured.withLock { $0.done } }
        var error: Error? { captured.withLock { $0.failure } }
        func cancel() { task.withLock { $0?.cancel() } }
    }
}
