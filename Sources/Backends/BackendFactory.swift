import Foundation
import Models

/// Builds backends from the command line and config.
public enum BackendFactory {
    /// The libvirt URI to use: explicit `--connect`, else `LIBVIRT_DEFAULT_URI`, else the first
    /// configured URI, else `qemu:///system`.
    public static func libvirtURI(explicit: String?, config: Config, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let env = environment["LIBVIRT_DEFAULT_URI"], !env.isEmpty { return env }
        return config.libvirtURIs.first ?? "qemu:///system"
    }

    /// One backend: `qemu`, or `libvirt` on `uri` (see ``libvirtURI(explicit:config:environment:)``).
    public static func make(kind: String, uri: String?, paths: UnitopPaths, config: Config) throws -> any UnikernelBackend {
        switch kind {
        case "qemu": return try QEMUBackend(paths: paths, config: config)
        case "libvirt": return try LibvirtBackend(uri: libvirtURI(explicit: uri, config: config), paths: paths, config: config)
        default: throw UnitopError.invalidArgument("unknown backend '\(kind)': expected qemu or libvirt")
        }
    }

    /// The libvirt URIs to open: explicit `--connect` (one), else `LIBVIRT_DEFAULT_URI`, else every
    /// configured URI (deduplicated, in order), else `qemu:///system`.
    public static func libvirtURIs(explicit: String?, config: Config, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let explicit, !explicit.isEmpty { return [explicit] }
        if let env = environment["LIBVIRT_DEFAULT_URI"], !env.isEmpty { return [env] }
        var seen = Set<String>()
        let uris = config.libvirtURIs.filter { !$0.isEmpty && seen.insert($0).inserted }
        return uris.isEmpty ? ["qemu:///system"] : uris
    }

    /// Every backend of a kind: `qemu` gives one; `libvirt` gives one ``LibvirtBackend`` per URI
    /// (see ``libvirtURIs(explicit:config:environment:)``), each with its own connection and host
    /// label. An unsupported URI throws before anything is opened.
    public static func makeAll(kind: String, uri: String?, paths: UnitopPaths, config: Config) throws -> [any UnikernelBackend] {
        switch kind {
        case "qemu": return [try QEMUBackend(paths: paths, config: config)]
        case "libvirt":
            return try libvirtURIs(explicit: uri, config: config).map {
                try LibvirtBackend(uri: $0, paths: paths, config: config)
            }
        default: throw UnitopError.invalidArgument("unknown backend '\(kind)': expected qemu or libvirt")
        }
    }
}
