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

    /// The hosts a listing or action covers. With `--connect` (or `--backend libvirt` and no
    /// URIs configured): that one libvirt connection; with `--backend qemu`: the local QEMU
    /// backend. Otherwise every configured host: local QEMU (not with `--backend libvirt`), then
    /// each libvirt URI of the config (one that cannot even be set up, say libvirt missing, is one
    /// line on stderr and left out). `--host` narrows any of these to one host.
    func fleet() throws -> Fleet {
        var backends: [any UnikernelBackend] = []
        let kind = try options.backend.map { text throws(UnitopError) in try BackendKind.parse(text) }
        if options.connect != nil || kind == .qemu || (kind == .libvirt && config.libvirtURIs.isEmpty) {
            backends = [try backend()]
        } else {
            if kind == nil { backends.append(try BackendFactory.make(kind: .qemu, uri: nil, paths: paths, config: config)) }
            var labels: Set<String> = [HostLabel.local]
            for uri in config.libvirtURIs {
                do {
                    let b = try BackendFactory.make(kind: .libvirt, uri: uri, paths: paths, config: config)
                    guard labels.insert(b.host).inserted else {
                        StandardStream.error.writeLine("unitop: \(uri): host label '\(b.host)' is already used by another configured URI; left out")
                        b.close()
                        continue
                    }
                    backends.append(b)
                } catch {
                    logger.warning("libvirt \(uri) unavailable: \(CLIError.message(for: error))")
                    StandardStream.error.writeLine("unitop: \(uri): \(CLIError.message(for: error))")
                }
            }
        }
        let fleet = Fleet(backends: backends, deadlineSeconds: config.hostTimeoutSeconds)
        return try options.host.map { try fleet.narrowed(to: $0) } ?? fleet
    }

    /// The instance `reference` (`NAME` or `HOST/NAME`) names across ``fleet()``; hosts that could
    /// not be asked are one line each on stderr.
    func resolve(_ reference: String) async throws -> ResolvedInstance {
        try await resolve(InstanceReference(parsing: reference), in: fleet())
    }

    /// ``resolve(_:)`` in a fleet already made.
    func resolve(_ reference: InstanceReference, in fleet: Fleet) async throws -> ResolvedInstance {
        let resolved = try await fleet.resolve(reference)
        for f in resolved.failures { StandardStream.error.writeLine(f.description) }
        return resolved
    }

    /// Where a new instance starts: `--host LABEL` picks that configured host; otherwise the
    /// selected backend (`--backend`, `--connect`, config, else qemu).
    func launchBackend() throws -> any UnikernelBackend {
        guard options.host != nil else { return try backend() }
        guard let backend = try fleet().backends.first else { throw UnitopError.failed("no host to start on") }
        return backend
    }

    /// Backends for the TUI: the same hosts as ``fleet()``.
    func tuiBackends() throws -> [any UnikernelBackend] {
        try fleet().backends
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
