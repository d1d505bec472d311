import Foundation

/// A throw-away state/config/runtime home for one test, removed by ``remove()``.
public struct TemporaryHome: Sendable {
    public let root: String
    public var stateDirectory: String { root + "/state" }
    public var configHome: String { root + "/config" }
    public var dataHome: String { root + "/data" }
    public var runtimeDirectory: String { root + "/run" }

    public init(prefix: String = "unitop-test") throws {
        // Keep it short: socket paths must stay under 108 bytes.
        let base = "/tmp/\(prefix.prefix(12))-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        root = base
        for d in [stateDirectory, configHome, dataHome, runtimeDirectory] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// Environment for running the real binary against this home.
    public var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["UNITOP_HOME"] = stateDirectory
        env["XDG_CONFIG_HOME"] = configHome
        env["XDG_DATA_HOME"] = dataHome
        env["UNITOP_RUNTIME_DIR"] = runtimeDirectory
        return env
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
