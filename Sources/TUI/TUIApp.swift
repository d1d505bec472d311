import Foundation
import Logging
import Models

/// Options the executable passes to the TUI.
public struct TUIOptions: Sendable {
    public var readonly: Bool
    /// `--theme` (a name or a path), highest priority.
    public var theme: String?
    public var config: Config
    public var paths: UnitopPaths
    /// Environment consulted for NO_COLOR and UNITOP_THEME.
    public var environment: [String: String]
    /// Image directories to scan; nil: the default one plus `config.imageDirectories`.
    public var imageDirectories: [String]?
    /// Makes the terminal driver; nil: the ncurses driver. Tests pass one returning an ``InMemoryDriver``.
    public var driverFactory: (@MainActor @Sendable (TUIOptions) throws -> any TerminalDriver)?
    /// Where the runtime logs backend failures (label `unitop.tui`; the executable's handler
    /// writes `$STATE/unitop.log`). Tests pass one with a recording handler.
    public var logger = Logger(label: "unitop.tui")

    public init(readonly: Bool, theme: String?, config: Config, paths: UnitopPaths,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                imageDirectories: [String]? = nil,
                driverFactory: (@MainActor @Sendable (TUIOptions) throws -> any TerminalDriver)? = nil) {
        self.readonly = readonly; self.theme = theme; self.config = config; self.paths = paths
        self.environment = environment; self.imageDirectories = imageDirectories; self.driverFactory = driverFactory
    }
}

/// Entry point of the interactive UI.
public enum TUIApp {
    /// Runs the UI until the user quits; returns the process exit status (1 when the terminal
    /// cannot be used, with the reason on stderr). Quitting never stops instances.
    public static func run(backends: [any UnikernelBackend], options: TUIOptions) async -> Int32 {
        await runOnMain(backends: backends, options: options)
    }

    @MainActor
    static func runOnMain(backends: [any UnikernelBackend], options: TUIOptions) async -> Int32 {
        let driver: any TerminalDriver
        do {
            if let factory = options.driverFactory {
                driver = try factory(options)
            } else {
                let ncurses = try NCursesDriver(options: .init(mouse: options.config.mouse, environment: options.environment))
                driver = ncurses
                ncursesDriver = ncurses
            }
        } catch {
            FileHandle.standardError.write(Data("unitop: \(error)\n".utf8))
            return 1
        }
        let refs = backends.map { BackendRef(kind: $0.kind, host: $0.host) }
        let state = initialState(backends: refs, options: options, capabilities: driver.capabilities, size: driver.size,
                                 backendCapabilities: Dictionary(zip(refs, backends.map(\.capabilities)), uniquingKeysWith: { a, _ in a }))
        let dirs = options.imageDirectories ?? ([options.paths.imagesDirectory] + options.config.imageDirectories)
        let runtime = Runtime(state: state, backends: backends, driver: driver, imageDirectories: dirs, logger: options.logger)
        ncursesDriver?.onTerminationRequest = { [weak runtime] _ in runtime?.stop() }
        let status = await runtime.run()
        ncursesDriver = nil
        return status
    }

    @MainActor private static var ncursesDriver: NCursesDriver?

    /// The state the UI starts with: theme chosen, options applied, nothing loaded yet.
    /// `backendCapabilities`: what each backend can report (``UnikernelBackend/capabilities``).
    public static func initialState(backends: [BackendRef], options: TUIOptions,
                                    capabilities: TerminalCapabilities, size: (width: Int, height: Int),
                                    backendCapabilities: [BackendRef: BackendCapabilities] = [:]) -> AppState {
        var state = AppState()
        state.backends = backends
        state.backendCapabilities = backendCapabilities
        state.readonly = options.readonly
        state.capabilities = capabilities
        state.width = size.width; state.height = size.height
        state.mouseEnabled = options.config.mouse
        state.stopTimeoutSeconds = options.config.stopTimeoutSeconds
        state.launchResolver = LaunchResolver(config: options.config)
        state.scrollbackLines = max(100, min(1_000_000, options.config.scrollbackLines))
        let noColor = options.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        state.colorsEnabled = !noColor && capabilities.colors > 0
        let selection = ThemeSelection.select(
            cli: options.theme, environment: options.environment, configTheme: options.config.theme,
            colors: capabilities.colors, userDirectory: options.paths.themesDirectory,
            shippedDirectories: ThemeSelection.shippedDirectories())
        state.theme = selection.theme
        if let w = selection.warning { state.status = StatusMessage(text: w, isError: true, time: Date()) }
        return state
    }
}
