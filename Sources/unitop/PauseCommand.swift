import ArgumentParser
import Models

/// `unitop pause`: Pause an instance's virtual CPUs.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause an instance's virtual CPUs.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    func run() async throws {
        try await InstanceAction.perform("pause", name: name, global: global) { backend, name, _ in
            try await backend.pause(name)
        }
    }
}
