import ArgumentParser
import Models

/// The `unitop` command: the TUI by default, and one subcommand per action.
@main
struct Unitop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unitop",
        abstract: "A terminal UI and CLI for unikernels on QEMU and libvirt.",
        version: "0.1.0",
        subcommands: [],
        defaultSubcommand: nil
    )

    func run() async throws {
        print("unitop: not implemented yet")
    }
}
