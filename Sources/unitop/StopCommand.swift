import ArgumentParser
import Models

/// `unitop stop`: graceful stop with escalation.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop an instance gracefully: ACPI powerdown, then escalate after the timeout.",
        discussion: "Escalation: QMP quit, then SIGTERM, then SIGKILL. The reason is recorded (see 'unitop ps --all')."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Instance: NAME where it is unique across hosts, else HOST/NAME.", valueName: "name"))
    var name: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to wait for the guest before escalating (default: config stop_timeout, else 10).", valueName: "seconds"))
    var timeout: String?

    func run() async throws {
        let seconds = try timeout.map(ArgumentValues.timeout)
        try await InstanceAction.perform("stop", name: name, global: global) { backend, name, context in
            try await backend.stop(name, timeoutSeconds: seconds ?? context.config.stopTimeoutSeconds)
        }
    }
}
