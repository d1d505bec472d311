import ArgumentParser
import Foundation
import Models

/// The `unitop` command: the TUI by default, and one subcommand per action.
@main
struct Unitop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unitop",
        abstract: "A terminal UI and CLI for unikernels on QEMU and libvirt.",
        discussion: """
            Without a subcommand, unitop starts the interactive UI.

            Global options, accepted before or after the subcommand:
            \(GlobalOption.summary)

            Every command covers every configured host (local QEMU, then each libvirt URI of the
            config); NAME is an instance name where it is unique across them, else HOST/NAME.

            Exit status: 0 done, 1 failed (one line on stderr says what and why), 2 usage error,
            3 a listing that misses a host that did not answer (the other hosts' rows are printed).
            A 'unitop run' without --detach exits with the guest's exit code.
            Shell completions: unitop --generate-completion-script bash|zsh|fish
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            TUICommand.self, ImagesCommand.self, PsCommand.self, RunCommand.self, StopCommand.self,
            KillCommand.self, PauseCommand.self, ResumeCommand.self, RestartCommand.self, RmCommand.self,
            LogsCommand.self, ConsoleCommand.self, InspectCommand.self, KeysCommand.self,
            ProbeReadyCommand.self,
        ],
        defaultSubcommand: TUICommand.self
    )

    /// Subcommand names, for ``GlobalArgumentOrder``.
    static var subcommandNames: Set<String> {
        Set(configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"])
    }

    static func main() async {
        // A parent may hand us a blocked signal mask (e.g. a thread pool); SIGTERM, SIGINT and
        // SIGHUP must work, and children (QEMU, monitors) inherit the mask.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        signal(SIGPIPE, SIG_IGN)
        let arguments = GlobalArgumentOrder.reorder(
            Array(CommandLine.arguments.dropFirst()), subcommands: subcommandNames, defaultSubcommand: "tui")
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            CLIError.exitForParseError(error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            StandardStream.output.flush()
            CLIError.exitForRunError(error)
        }
        StandardStream.output.flush()
        Foundation.exit(0)  // also ends a stdin reader thread still blocked in read(2)
    }
}
