@testable import Backends
import Foundation
import Models
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
    final class EventLog: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [BackendEvent] = []
        private var task: Task<Void, Never>?

        init(_ stream: AsyncStream<BackendEvent>) {
            task = Task { [weak self] in
                for await e in stream { self?.append(e) }
            }
        }
        private func append(_ e: BackendEvent) { lock.withLock { items.append(e) } }
        var events: [BackendEvent] { lock.withLock { items } }
        func cancel() { task?.cancel() }

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
    final class ConsoleCapture: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        private var done = false
        private var failure: Error?
        private var task: Task<Void, Never>?

        init(_ stream: AsyncThrowingStream<[UInt8], Error>) {
            task = Task { [weak self] in
                do {
                    for try await chunk in stream { self?.add(chunk) }
                    self?.finish(nil)
                } catch { self?.finish(error) }
            }
        }
        private func add(_ c: [UInt8]) { lock.withLock { bytes += c } }
        private func finish(_ e: Error?) { lock.withLock { done = true; failure = e } }
        var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
        var isDone: Bool { lock.withLock { done } }
        var error: Error? { lock.withLock { failure } }
        func cancel() { task?.cancel() }
    }
}
