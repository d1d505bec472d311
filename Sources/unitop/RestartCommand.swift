import ArgumentParser
import Models

/// `unitop restart`: Reset an instance (the guest boots again).
struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Reset an instance (the guest boots again).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    func run() async throws {
        try await InstanceAction.perform("restart", name: name, global: global) { backend, name, _ in
            try await backend.restart(name)
        }
    }
}
