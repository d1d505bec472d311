import ArgumentParser
import Logging

/// Options every subcommand accepts, before or after the subcommand name
/// (see ``GlobalArgumentOrder``).
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Backend: qemu or libvirt (default: from config, else qemu).", valueName: "kind"))
    var backend: String?

    @Option(help: ArgumentHelp("libvirt connection URI (also LIBVIRT_DEFAULT_URI).", valueName: "uri"))
    var connect: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("State directory (also UNITOP_HOME).", valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Config file (must exist when given).", valueName: "file"))
    var config: String?

    @Flag(help: "Refuse every action that changes an instance (run, stop, kill, pause, resume, restart, rm, console).")
    var readonly = false

    @Option(help: ArgumentHelp("TUI theme name or path.", valueName: "name"))
    var theme: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("Level of $STATE/unitop.log: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String?

    init() {}
}

/// Moves global options written before the subcommand name to just after it, so
/// `unitop --backend qemu ps --json` parses like `unitop ps --backend qemu --json`.
///
/// Only a leading run of known global options is moved; anything else (help, version,
/// unknown flags) leaves the arguments untouched for ArgumentParser to report.
enum GlobalArgumentOrder {
    /// Global options that take a value.
    static let valued: Set<String> = ["--backend", "--connect", "--state-dir", "--config", "--theme", "--log-level"]
    /// Global flags.
    static let flags: Set<String> = ["--readonly"]

    /// `arguments` without the program name. `subcommands`: names that start a subcommand.
    /// `defaultSubcommand`: inserted when only global options are given (`unitop --readonly`).
    static func reorder(_ arguments: [String], subcommands: Set<String>, defaultSubcommand: String) -> [String] {
        var moved: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            let key = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
            if flags.contains(a) {
                moved.append(a); i += 1
            } else if valued.contains(key) {
                if a.contains("=") {
                    moved.append(a); i += 1
                } else {
                    guard i + 1 < arguments.count else { return arguments }
                    moved.append(a); moved.append(arguments[i + 1]); i += 2
                }
            } else if subcommands.contains(a) {
                return [a] + moved + arguments[(i + 1)...]
            } else {
                return arguments
            }
        }
        return moved.isEmpty ? arguments : [defaultSubcommand] + moved
    }
}
