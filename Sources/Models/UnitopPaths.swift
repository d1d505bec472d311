import Foundation

/// Where unitop keeps things, derived from the environment (XDG base directories, `UNITOP_HOME`).
public struct UnitopPaths: Sendable, Equatable {
    /// Config file: `--config`, else `$XDG_CONFIG_HOME/unitop/config.toml`.
    public var configFile: String
    /// User themes: `$XDG_CONFIG_HOME/unitop/themes`.
    public var themesDirectory: String
    /// State: `--state-dir`, `UNITOP_HOME`, else `$XDG_STATE_HOME/unitop`.
    public var stateDirectory: String
    /// Short directory for Unix sockets: `UNITOP_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/unitop`
    /// or `/tmp/unitop-UID`, plus a short hash of the state directory so separate state
    /// directories never share sockets.
    public var runtimeDirectory: String
    /// Default image directory: `$XDG_DATA_HOME/unitop/images`.
    public var imagesDirectory: String

    public init(configFile: String, themesDirectory: String, stateDirectory: String, runtimeDirectory: String, imagesDirectory: String) {
        self.configFile = configFile; self.themesDirectory = themesDirectory
        self.stateDirectory = stateDirectory; self.runtimeDirectory = runtimeDirectory
        self.imagesDirectory = imagesDirectory
    }

    /// Resolves paths from an environment (default: the process environment) and explicit overrides.
    public static func resolve(
        environment env: [String: String] = ProcessInfo.processInfo.environment,
        stateDirectory: String? = nil, configFile: String? = nil
    ) -> UnitopPaths {
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
        func xdg(_ key: String, _ fallback: String) -> String {
            if let v = env[key], v.hasPrefix("/") { return v }
            return home + "/" + fallback
        }
        let configHome = xdg("XDG_CONFIG_HOME", ".config") + "/unitop"
        let state = stateDirectory ?? env["UNITOP_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (xdg("XDG_STATE_HOME", ".local/state") + "/unitop")
        let absState = state.hasPrefix("/") ? state : FileManager.default.currentDirectoryPath + "/" + state
        let runtimeBase: String
        if let r = env["UNITOP_RUNTIME_DIR"], r.hasPrefix("/") {
            runtimeBase = r
        } else if let r = env["XDG_RUNTIME_DIR"], r.hasPrefix("/") {
            runtimeBase = r + "/unitop"
        } else {
            runtimeBase = "/tmp/unitop-\(getuid())"
        }
        return UnitopPaths(
            configFile: configFile ?? configHome + "/config.toml",
            themesDirectory: configHome + "/themes",
            stateDirectory: absState,
            runtimeDirectory: runtimeBase + "/" + shortHash(absState),
            imagesDirectory: xdg("XDG_DATA_HOME", ".local/share") + "/unitop/images"
        )
    }

    /// 8 hex digits of FNV-1a over the string (stable across runs and processes).
    static func shortHash(_ s: String) -> String {
        var h: UInt32 = 0x811C_9DC5
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
