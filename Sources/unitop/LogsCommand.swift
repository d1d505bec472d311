import ArgumentParser
import Foundation
import Models

/// `unitop logs`: console output since boot.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print an instance's console output since boot (sanitized unless --raw).",
        discussion: "Sanitized output keeps colors and drops every sequence that could retitle, reset, query or reprogram the terminal."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    @Flag(name: .shortAndLong, help: "Keep printing new output until the instance ends.")
    var follow = false

    @Flag(help: "Write the guest's bytes unchanged (for files and pipes).")
    var raw = false

    func run() async throws {
        let context = try CLIContext(global)
        let resolved = try await context.resolve(name)
        let backend = resolved.backend, name = resolved.name
        // The whole history of a QEMU instance: straight from its log files, on this thread.
        if !follow, let segments = ConsoleLogSegments(backend: backend, name: name) {
            StandardStream.output.flush()
            let writer = LogsWriter(mode: raw ? .raw : .sanitized)
            try segments.forEach { try writer.copy(from: $0) }
            try writer.finish()
            return
        }
        var output = LogsOutput(mode: raw ? .raw : .sanitized)
        let stdout = StandardStream.output
        for try await chunk in backend.console(name, history: .all, follow: follow) {
            let bytes = output.transform(chunk)
            if follow { stdout.writeNow(bytes) } else { stdout.write(bytes) }
        }
        stdout.write(output.finish())
        stdout.flush()
    }
}
