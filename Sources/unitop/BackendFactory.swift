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
        case .libvirt: return try LibvirtBackend(uri: LibvirtURISelection.primary(explicit: uri, config: config), paths: paths, config: config)
        }
    }

    /// Every backend of a kind: `qemu` gives one; `libvirt` gives one ``LibvirtBackend`` per URI
    /// (see ``LibvirtURISelection/all(explicit:config:environment:)``), each with its own connection
    /// and host label. An unsupported URI throws before anything is opened.
    static func makeAll(kind: BackendKind, uri: String?, paths: UnitopPaths, config: Config) throws -> [any UnikernelBackend] {
        switch kind {
        case .qemu: return [try QEMUBackend(paths: paths, config: config)]
        case .libvirt:
            return try LibvirtURISelection.all(explicit: uri, config: config).map {
                try LibvirtBackend(uri: $0, paths: paths, config: config)
            }
        }
    }
}
