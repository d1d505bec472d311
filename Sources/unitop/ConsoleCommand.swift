import ArgumentParser
import Foundation
import Models

/// `unitop console`: the instance's serial console in this terminal.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Attach this terminal to an instance's console; Ctrl-] detaches and leaves it running.",
        discussion: """
            Shows the recent history (the last \(ConsoleCommand.historyBytes / 1024) KiB) and then live output, \
            sanitized; keystrokes go to the guest. When stdin is not a terminal its bytes are forwarded and, \
            at its end, output is followed until the guest ends (a 0x1d byte detaches).
            """
    )

    /// History shown on attach.
    static let historyBytes = 64 << 10

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    func run() async throws {
        let context = try CLIContext(global)
        try context.requireWritable("console")
        let resolved = try await context.resolve(name)
        let backend = resolved.backend, instance = resolved.instance, name = resolved.name
        let session = ConsoleSession(backend: backend, name: instance.name, history: .tail(bytes: Self.historyBytes), forwardInput: true)
        switch try await session.run() {
        case .detached:
            StandardStream.error.writeLine("[detached from \(name); it keeps running — reattach with: unitop console \(name)]")
        case .ended:
            if let final = try? await FinalState.wait(backend: backend, name: name) {
                StandardStream.error.writeLine("[\(name) \(CLIError.oneLine(FinalState.summary(final)))]")
            }
        }
    }
}
