import Foundation
import Logging
import Models

/// A swift-log handler appending one line per message to `$STATE/unitop.log`.
///
/// Each line is written with a single `write(2)` on an `O_APPEND` descriptor, so lines from
/// concurrent unitop processes never interleave mid-line. Nothing ever goes to the terminal.
struct FileLogHandler: LogHandler {
    /// Messages longer than this are cut (guest text can end up in log messages).
    static let maxMessageBytes = 8 << 10

    let label: String
    let fd: Int32
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let meta = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var message = event.message.description
        if message.utf8.count > Self.maxMessageBytes { message = String(decoding: Array(message.utf8.prefix(Self.maxMessageBytes)), as: UTF8.self) }
        message = message.replacingOccurrences(of: "\n", with: "\\n")
        let line = "\(LogTimestamp.now()) \(event.level) \(label):\(meta) \(message)\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    }

    nonisolated(unsafe) private static var bootstrapped = false

    /// Sends all logging to `stateDirectory/unitop.log` (created 0700/0600); when that is not
    /// possible, logging is discarded. Only the first call has an effect.
    static func bootstrap(stateDirectory: String, level: Logger.Level) {
        guard !bootstrapped else { return }
        bootstrapped = true
        try? FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(stateDirectory + "/unitop.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        LoggingSystem.bootstrap { label in
            if fd < 0 { return SwiftLogNoOpLogHandler(label) }
            return FileLogHandler(label: label, fd: fd, logLevel: level)
        }
    }
}
