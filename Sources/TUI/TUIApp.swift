import Backends
import Models

/// Options the executable passes to the TUI.
public struct TUIOptions: Sendable {
    public var readonly: Bool
    public var theme: String?
    public var config: Config
    public var paths: UnitopPaths
    public init(readonly: Bool, theme: String?, config: Config, paths: UnitopPaths) {
        self.readonly = readonly; self.theme = theme; self.config = config; self.paths = paths
    }
}

/// Entry point of the interactive UI (stub; the TUI work replaces it).
public enum TUIApp {
    /// Runs the UI until the user quits; returns the process exit status.
    public static func run(backends: [any UnikernelBackend], options: TUIOptions) async -> Int32 {
        return 0
    }
}
