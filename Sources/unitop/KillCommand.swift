import ArgumentParser
import Models

/// `unitop kill`: Stop an instance immediately (no graceful shutdown).
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Stop an instance immediately (no graceful shutdown).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    func run() async throws {
        try await InstanceAction.perform("kill", name: name, global: global) { backend, name, _ in
            try await backend.kill(name)
        }
    }
}
