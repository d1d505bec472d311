import ArgumentParser
import Logging

/// The global options, declared once: ``GlobalOptions``' properties take their names and help
/// from here, ``GlobalArgumentOrder`` knows which take a value from here, and the root help
/// text lists them from here.
enum GlobalOption: String, CaseIterable {
    case backend, connect, host, stateDir = "state-dir", config, readonly, theme, logLevel = "log-level"

    /// `--backend`.
    var long: String { "--" + rawValue }
    var name: NameSpecification { .customLong(rawValue) }

    /// The value's placeholder; nil for a flag.
    var valueName: String? {
        switch self {
        case .backend: return "kind"
        case .connect: return "uri"
        case .host: return "label"
        case .stateDir: return "dir"
        case .config: return "file"
        case .readonly: return nil
        case .theme: return "name"
        case .logLevel: return "level"
        }
    }

    var takesValue: Bool { valueName != nil }

    /// The line of `--help` for this option.
    var helpText: String {
        switch self {
        case .backend: return "Backend: qemu or libvirt (default: from config, else qemu)."
        case .connect: return "libvirt connection URI (also LIBVIRT_DEFAULT_URI)."
        case .host: return "Only this host: a HOST label from 'unitop ps' (local, system, lab1, ...) or a configured libvirt URI."
        case .stateDir: return "State directory (also UNITOP_HOME)."
        case .config: return "Config file (must exist when given)."
        case .readonly: return "Refuse every action that changes an instance (run, stop, kill, pause, resume, restart, rm, console)."
        case .theme: return "TUI theme name or path."
        case .logLevel: return "Level of $STATE/unitop.log: trace, debug, info, notice, warning, error, critical."
        }
    }

    var help: ArgumentHelp { ArgumentHelp(helpText, valueName: valueName) }

    /// The short form for the root help's summary (fits 80 columns).
    var brief: String {
        switch self {
        case .backend: return "backend (default: from config, else qemu)"
        case .connect: return "libvirt URI (also LIBVIRT_DEFAULT_URI)"
        case .host: return "only this host (a HOST label from 'unitop ps')"
        case .stateDir: return "state directory (also UNITOP_HOME)"
        case .config: return "config file (must exist when given)"
        case .readonly: return "refuse every action that changes an instance"
        case .theme: return "TUI theme"
        case .logLevel: return "level of $STATE/unitop.log"
        }
    }

    /// The option as the root help's summary writes it: `--backend qemu|libvirt`.
    var synopsis: String {
        switch self {
        case .backend: return long + " qemu|libvirt"
        case .readonly: return long
        default: return long + " " + (valueName ?? "").uppercased()
        }
    }

    /// The summary in `unitop --help`: one line per option.
    static var summary: String {
        let width = allCases.map(\.synopsis.count).max() ?? 0
        return allCases.map { o in
            "  " + o.synopsis + String(repeating: " ", count: width - o.synopsis.count + 3) + o.brief
        }.joined(separator: "\n")
    }
}

/// Options every subcommand accepts, before or after the subcommand name
/// (see ``GlobalArgumentOrder``). Names and help come from ``GlobalOption``.
struct GlobalOptions: ParsableArguments {
    @Option(name: GlobalOption.backend.name, help: GlobalOption.backend.help)
    var backend: String?

    @Option(name: GlobalOption.connect.name, help: GlobalOption.connect.help)
    var connect: String?

    @Option(name: GlobalOption.host.name, help: GlobalOption.host.help)
    var host: String?

    @Option(name: GlobalOption.stateDir.name, help: GlobalOption.stateDir.help)
    var stateDir: String?

    @Option(name: GlobalOption.config.name, help: GlobalOption.config.help)
    var config: String?

    @Flag(name: GlobalOption.readonly.name, help: GlobalOption.readonly.help)
    var readonly = false

    @Option(name: GlobalOption.theme.name, help: GlobalOption.theme.help)
    var theme: String?

    @Option(name: GlobalOption.logLevel.name, help: GlobalOption.logLevel.help)
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
    static let valued = Set(GlobalOption.allCases.filter(\.takesValue).map(\.long))
    /// Global flags.
    static let flags = Set(GlobalOption.allCases.filter { !$0.takesValue }.map(\.long))

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
