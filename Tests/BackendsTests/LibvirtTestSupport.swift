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

    /// Background recorders of an event stream and of a console stream (UnitopTesting's).
    typealias EventLog = EventRecorder
    typealias ConsoleCapture = ConsoleRecorder
}
