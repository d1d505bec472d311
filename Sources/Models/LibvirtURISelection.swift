import Foundation

/// Which libvirt URIs a command opens: one rule shared by the CLI and the TUI.
public enum LibvirtURISelection {
    /// The libvirt URI to use: explicit `--connect`, else `LIBVIRT_DEFAULT_URI`, else the first
    /// configured URI, else `qemu:///system`.
    public static func primary(explicit: String?, config: Config, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        all(explicit: explicit, config: config, environment: environment)[0]
    }

    /// The libvirt URIs to open: explicit `--connect` (one), else `LIBVIRT_DEFAULT_URI`, else every
    /// configured URI (deduplicated, in order), else `qemu:///system`. Never empty.
    public static func all(explicit: String?, config: Config, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let explicit, !explicit.isEmpty { return [explicit] }
        if let env = environment["LIBVIRT_DEFAULT_URI"], !env.isEmpty { return [env] }
        var seen = Set<String>()
        let uris = config.libvirtURIs.filter { !$0.isEmpty && seen.insert($0).inserted }
        return uris.isEmpty ? ["qemu:///system"] : uris
    }
}
