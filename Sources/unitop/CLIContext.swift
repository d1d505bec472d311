import Foundation
import Logging
import Models

/// What every subcommand needs, resolved once from the global options: paths, config,
/// logging and the backend.
struct CLIContext {
    let options: GlobalOptions
    let paths: UnitopPaths
    let config: Config
    /// Logs to `$STATE/unitop.log` (never to the terminal).
    let logger: Logger

    /// Resolves paths (`--state-dir`, `UNITOP_HOME`, XDG), loads the config (it must exist when
    /// `--config` is given) and starts file logging.
    init(_ options: GlobalOptions) throws {
        self.options = options
        let paths = UnitopPaths.resolve(stateDirectory: options.stateDir, configFile: options.config)
        self.paths = paths
        // Before anything is written there: refuse a state directory others own or can write.
        try SecureDirectory.checkIfExists(paths.stateDirectory)
        FileLogHandler.bootstrap(stateDirectory: paths.stateDirectory, level: try Self.logLevel(options.logLevel))
        var logger = Logger(label: "unitop.cli")
        logger[metadataKey: "pid"] = "\(getpid())"
        self.logger = logger
        self.config = try Config.load(path: paths.configFile, mustExist: options.config != nil)
        logger.debug("command line: \(CommandLine.arguments.joined(separator: " "))")
    }

    static func logLevel(_ text: String?) throws(UnitopError) -> Logger.Level {
        guard let text else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalidArgument("invalid log level '\(text)': expected one of \(names)")
        }
        return level
    }

    /// `--backend`; else libvirt when `--connect` is given; else the config's default backend.
    func backendKind() throws(UnitopError) -> BackendKind {
        if let text = options.backend { return try BackendKind.parse(text) }
        return options.connect != nil ? .libvirt : config.defaultBackend
    }

    /// The selected backend (`--backend` > config > qemu), on `--connect` for libvirt.
    func backend() throws -> any UnikernelBackend {
        let kind = try backendKind()
        if options.connect != nil && kind != .libvirt {
            throw UnitopError.invalidArgument("--connect applies to the libvirt backend only, not --backend \(kind)")
        }
        return try BackendFactory.make(kind: kind, uri: options.connect, paths: paths, config: config)
    }

    /// Backends for the TUI: the selected one; without `--backend`, the configured libvirt
    /// connections are added to the default backend. Ones that cannot be created are logged and skipped
    /// unless none is left.
    func tuiBackends() throws -> [any UnikernelBackend] {
        if options.backend != nil || options.connect != nil { return [try backend()] }
        var result: [any UnikernelBackend] = [try backend()]
        if try backendKind() == .qemu {
            for uri in config.libvirtURIs {
                do { result.append(try BackendFactory.make(kind: .libvirt, uri: uri, paths: paths, config: config)) }
                catch { logger.warning("libvirt \(uri) unavailable: \(CLIError.message(for: error))") }
            }
        }
        return result
    }

    /// Throws the read-only refusal when `--readonly` is set.
    func requireWritable(_ action: String) throws(UnitopError) {
        if options.readonly { throw .readonly(action: action) }
    }

    /// The image catalog: the default image directory, the configured ones, then `extra` (`--dir`).
    func catalog(extra: [String] = []) -> ImageCatalog {
        ImageCatalog(directories: ImageCatalog.defaultDirectories(paths: paths, config: config, extra: extra))
    }
}
