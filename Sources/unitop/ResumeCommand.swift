import ArgumentParser
import Models

/// `unitop resume`: Resume a paused instance.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused instance.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    func run() async throws {
        try await InstanceAction.perform("resume", name: name, global: global) { backend, name, _ in
            try await backend.resume(name)
        }
    }
}
