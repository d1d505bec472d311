import Foundation
import Logging
import Models
import Synchronization
import Testing
import UnitopTesting
@testable import TUI

/// Log lines a test handler received: (label, level, message).
final class LogRecorder: Sendable {
    let lines = Mutex<[(label: String, level: Logger.Level, message: String)]>([])

    func handler(label: String) -> LogHandler { RecordingLogHandler(label: label, recorder: self) }

    func contains(_ text: String, level: Logger.Level) -> Bool {
        lines.withLock { $0.contains { $0.level == level && $0.message.contains(text) && $0.label == "unitop.tui" } }
    }
}

struct RecordingLogHandler: LogHandler {
    let label: String
    let recorder: LogRecorder
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.lines.withLock { $0.append((label, event.level, event.message.description)) }
    }
}

/// A backend failure in the TUI leaves a trace in the log, not only in the status bar.
@Suite(.serialized) struct RuntimeLoggingTests {
    @Test func aFailingActionIsLogged() async throws {
        let driver = InMemoryDriver(width: 120, height: 30)
        let backend = FakeBackend(instances: [makeInstance("web-1", startedAt: Date())], history: "booted\n")
        let home = try TemporaryHome(prefix: "unitop-log")
        defer { home.remove() }
        let recorder = LogRecorder()
        var options = TUIOptions(readonly: false, theme: nil, config: Models.Config(),
                                 paths: UnitopPaths.resolve(environment: home.environment), environment: [:],
                                 imageDirectories: [home.root + "/images"], driverFactory: { _ in driver })
        options.logger = Logger(label: "unitop.tui", factory: { recorder.handler(label: $0) })
        let app = Task { await TUIApp.run(backends: [backend], options: options) }
        defer { driver.shutdown() }
        try #require(await Wait.until(timeout: 10) { driver.screenText.contains("web-1") }, "\(driver.screenText)")
        driver.type(.character("p"))  // FakeBackend.pause fails: "QMP says no"
        try #require(await Wait.until(timeout: 10) { driver.screenText.contains("pause web-1 failed: QMP says no") })
        #expect(await Wait.until(timeout: 10) { recorder.contains("pause web-1 failed: QMP says no", level: .error) },
                "\(recorder.lines.withLock { $0.map(\.message) })")
        driver.type(.character("q"))
        _ = await app.value
    }
}
