import ArgumentParser
import Foundation
import Models
import TUI

/// `unitop` / `unitop tui`: the interactive UI.
struct TUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "The interactive terminal UI (the default when no subcommand is given)."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context = try CLIContext(global)
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw UnitopError.failed("the interactive UI needs a terminal; for scripts use a subcommand such as 'unitop ps' (see 'unitop --help')")
        }
        let backends = try context.tuiBackends()
        var options = TUIOptions(readonly: global.readonly, theme: global.theme ?? context.config.theme, config: context.config, paths: context.paths)
        options.logger[metadataKey: "pid"] = "\(getpid())"
        context.logger.info("tui with \(backends.map { "\($0.kind):\($0.host)" }.joined(separator: ", "))")
        let status = await TUIApp.run(backends: backends, options: options)
        throw ExitCode(status)
    }
}
