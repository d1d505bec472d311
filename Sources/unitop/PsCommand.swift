import ArgumentParser
import Foundation
import Models

/// `unitop ps`: the instances of every host (or of the selected backend or host).
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List instances (running, paused and starting; --all adds finished ones).",
        discussion: """
            Covers every configured host (local QEMU, then each libvirt URI of the config), queried \
            in parallel, each within [libvirt] timeout (default 5 s); --host, --backend or --connect \
            narrow it. A host that does not answer is one line on stderr ('lab1: unreachable: ...') \
            and its rows are absent; the exit status is then \(partialStatus) (partial listing) when \
            another host answered, 1 when none did.
            """
    )

    /// Exit status of a listing that misses at least one host.
    static let partialStatus: Int32 = 3

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print a JSON array of instances (every field, nulls included).")
    var json = false

    @Flag(name: .shortAndLong, help: "Include stopped, exited and crashed instances.")
    var all = false

    func run() async throws {
        let context = try CLIContext(global)
        let fleet = try context.fleet()
        let listing = await fleet.instances()
        if listing.failures.count == fleet.backends.count, let first = listing.failures.first {
            if fleet.backends.count == 1 { throw first.error }
            for f in listing.failures.dropLast() { StandardStream.error.writeLine(f.description) }
            throw UnitopError.failed(listing.failures.last?.description ?? first.description)
        }
        let instances = listing.instances.filter { all || !$0.state.isFinished }
        if json {
            try JSONOutput.write(instances)
        } else {
            let capabilities = Dictionary(fleet.backends.map { ($0.host, $0.capabilities) }, uniquingKeysWith: { a, _ in a })
            StandardStream.output.write(Self.table(instances, capabilities: { capabilities[$0.host] ?? .all }).render())
        }
        StandardStream.output.flush()
        for f in listing.failures { StandardStream.error.writeLine(f.description) }
        if !listing.failures.isEmpty { throw ExitCode(Self.partialStatus) }
    }

    /// Widest PORTS cell; further mappings are counted (`8080→80,+3`).
    static let maxPortsWidth = 28

    /// The table; a value the backend cannot report reads `n/a (KIND)` (see ``CapabilityGap``),
    /// one not known yet `-`. READY is launch to the first published TCP port answering.
    /// `capabilities` gives each instance's backend's.
    static func table(_ instances: [Instance], capabilities: (Instance) -> BackendCapabilities, now: Date = Date()) -> TableFormatter {
        var t = TableFormatter(headers: ["NAME", "BACKEND", "HOST", "IMAGE", "STATE", "PID", "CPUS", "MEM", "UPTIME", "BOOT", "READY", "PORTS", "EXIT"])
        for i in instances {
            let image = i.image.split(separator: "/").last.map(String.init) ?? i.image
            var state = i.state.rawValue
            if i.state == .stopping, let deadline = i.stopDeadline {
                state += " \(max(0, Int(deadline.timeIntervalSince(now).rounded(.up))))s"
            }
            let gap = CapabilityGap.text(i.backend)
            let capabilities = capabilities(i)
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
