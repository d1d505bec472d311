import ArgumentParser
import Backends
import Foundation
import Models

/// `unitop __probe-ready NAME --connect URI` (hidden): the readiness probe of one libvirt
/// instance, in a process of its own that outlives `unitop run --detach` (the libvirt backend
/// starts it detached, see ``BackendFactory/readinessProbeCommand(uri:paths:)``). It stores the
/// figure and exits once the guest accepts on its first published TCP port, when the instance
/// ends, or when the probe gives up.
struct ProbeReadyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "__probe-ready",
        abstract: "Measure a libvirt instance's time to ready (internal).",
        shouldDisplay: false
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Instance name.")
    var name: String

    func run() async throws {
        let context = try CLIContext(global)
        guard let uri = global.connect else { throw UnitopError.invalidArgument("__probe-ready needs --connect URI") }
        let name = try InstanceName.validate(self.name)
        let backend = try LibvirtBackend(uri: uri, paths: context.paths, config: context.config)
        defer { backend.close() }
        do {
            if let ms = try await backend.probeReadiness(name) {
                context.logger.info("\(name) ready after \(ms) ms")
            } else {
                context.logger.info("\(name): no readiness figure (no published TCP port, ended, or no answer)")
            }
        } catch {
            context.logger.warning("\(name): readiness probe failed: \(CLIError.message(for: error))")
            throw error
        }
    }
}
