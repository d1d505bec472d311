import Backends
import Foundation
import Models

/// Builds backends from the command line and config. The executable is the composition root:
/// the only place that names the implementations; everything else sees ``UnikernelBackend``.
enum BackendFactory {
    /// One backend: `qemu`, or `libvirt` on the URI chosen by ``LibvirtURISelection/primary(explicit:config:environment:)``.
    static func make(kind: BackendKind, uri: String?, paths: UnitopPaths, config: Config) throws -> any UnikernelBackend {
        switch kind {
        case .qemu: return try QEMUBackend(paths: paths, config: config)
        case .libvirt: return try libvirt(uri: LibvirtURISelection.primary(explicit: uri, config: config), paths: paths, config: config)
        }
    }

    /// Every backend of a kind: `qemu` gives one; `libvirt` gives one ``LibvirtBackend`` per URI
    /// (see ``LibvirtURISelection/all(explicit:config:environment:)``), each with its own connection
    /// and host label. An unsupported URI throws before anything is opened.
    static func makeAll(kind: BackendKind, uri: String?, paths: UnitopPaths, config: Config) throws -> [any UnikernelBackend] {
        switch kind {
        case .qemu: return [try QEMUBackend(paths: paths, config: config)]
        case .libvirt:
            return try LibvirtURISelection.all(explicit: uri, config: config).map { try libvirt(uri: $0, paths: paths, config: config) }
        }
    }

    /// A libvirt backend that measures readiness in a detached `unitop __probe-ready` process.
    static func libvirt(uri: String, paths: UnitopPaths, config: Config) throws -> LibvirtBackend {
        try LibvirtBackend(uri: uri, paths: paths, config: config,
                           readinessProbeCommand: readinessProbeCommand(uri: uri, paths: paths))
    }

    /// `unitop __probe-ready --connect URI --state-dir DIR [--config FILE]` (the backend appends
    /// the instance name), with this very executable; nil when it cannot be found.
    static func readinessProbeCommand(uri: String, paths: UnitopPaths) -> [String]? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), exe.hasPrefix("/") else {
            return nil
        }
        var argv = [exe, ProbeReadyCommand.configuration.commandName ?? "__probe-ready",
                    "--connect", uri, "--state-dir", paths.stateDirectory]
        if FileManager.default.fileExists(atPath: paths.configFile) { argv += ["--config", paths.configFile] }
        return argv
    }
}
