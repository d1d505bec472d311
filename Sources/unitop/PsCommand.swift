import ArgumentParser
import Foundation
import Models

/// `unitop ps`: the instances of the selected backend.
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List instances (running, paused and starting; --all adds finished ones)."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print a JSON array of instances (every field, nulls included).")
    var json = false

    @Flag(name: .shortAndLong, help: "Include stopped, exited and crashed instances.")
    var all = false

    func run() async throws {
        let context = try CLIContext(global)
        let backend = try context.backend()
        let instances = try await backend.instances()
            .filter { all || !$0.state.isFinished }
            .sorted { $0.id < $1.id }
        if json {
            try JSONOutput.write(instances)
        } else {
            StandardStream.output.write(Self.table(instances, capabilities: backend.capabilities).render())
        }
        StandardStream.output.flush()
    }

    /// Widest PORTS cell; further mappings are counted (`8080→80,+3`).
    static let maxPortsWidth = 28

    /// The table; a value the backend cannot report reads `n/a (KIND)` (see ``CapabilityGap``),
    /// one not known yet `-`. READY is launch to the first published TCP port answering.
    static func table(_ instances: [Instance], capabilities: BackendCapabilities, now: Date = Date()) -> TableFormatter {
        var t = TableFormatter(headers: ["NAME", "BACKEND", "HOST", "IMAGE", "STATE", "PID", "CPUS", "MEM", "UPTIME", "BOOT", "READY", "PORTS", "EXIT"])
        for i in instances {
            let image = i.image.split(separator: "/").last.map(String.init) ?? i.image
            var state = i.state.rawValue
            if i.state == .stopping, let deadline = i.stopDeadline {
                state += " \(max(0, Int(deadline.timeIntervalSince(now).rounded(.up))))s"
            }
            let gap = CapabilityGap.text(i.backend)
            let exit: String
            if let code = i.exitCode {
                exit = "\(code)" + (i.state == .crashed ? i.exitReason.map { " (\($0))" } ?? "" : "")
            } else if CapabilityGap.exitCode(i, capabilities) {
                exit = gap + (i.exitReason.map { " (\($0))" } ?? "")
            } else {
                exit = i.exitReason ?? "-"
            }
            t.append([
                i.name, i.backend.rawValue, i.host, image.isEmpty ? "-" : image, state,
                i.pid.map { "\($0)" } ?? (CapabilityGap.pid(i, capabilities) ? gap : "-"), "\(i.cpus)",
                HumanFormat.mebibytes(i.memoryMiB), i.uptimeSeconds(now: now).map(Formatting.duration) ?? "-",
                i.bootMillis.map(Formatting.millis) ?? (CapabilityGap.bootTime(i, capabilities) ? gap : "-"),
                i.readyMillis.map(Formatting.millis) ?? "-",
                i.ports.isEmpty ? "-" : PortMapping.listDescription(i.ports, maxWidth: maxPortsWidth), exit,
            ])
        }
        return t
    }
}

/// JSON on stdout with the shared encoder, one trailing newline.
enum JSONOutput {
    static func write<T: Encodable>(_ value: T, pretty: Bool = false) throws {
        let data = try JSONCoding.encoder(pretty: pretty).encode(value)
        StandardStream.output.write([UInt8](data) + [0x0A])
    }
}
