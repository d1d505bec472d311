import ArgumentParser
import Models

/// `unitop rm`: forget a finished instance and its state.
struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove a finished instance and its state (--force stops a running one first)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    @Flag(name: .shortAndLong, help: "Kill the instance first if it is still running.")
    var force = false

    func run() async throws {
        try await InstanceAction.perform("rm", name: name, global: global) { backend, name, _ in
            try await backend.remove(name, force: force)
        }
    }
}
