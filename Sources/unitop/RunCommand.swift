import ArgumentParser
import Foundation
import Models

/// `unitop run IMAGE`: starts an instance; attaches its console unless `--detach`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start an instance of an image.",
        discussion: """
            IMAGE is a path or the name of a catalogued image (see 'unitop images'). Settings come from \
            the flags, else the image's sidecar NAME.toml, else the config. Without --detach the console \
            is attached (Ctrl-] detaches and leaves it running) and unitop exits with the guest's exit \
            code: N when it exits with code N, 1 when it crashes, 0 when it is stopped.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Image path or catalogued image name.")
    var image: String

    @Option(help: "Instance name (default: the image name plus a random suffix).")
    var name: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Guest memory, e.g. 64M or 1G.", valueName: "size"))
    var memory: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Virtual CPUs, \(LaunchLimits.cpus.lowerBound) to \(LaunchLimits.cpus.upperBound).", valueName: "n"))
    var cpus: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Kernel command line.", valueName: "args"))
    var append: String?

    @Option(help: ArgumentHelp("Machine type: \(LaunchLimits.machineList) (default: the image sidecar, else [qemu] machine, else pc).", valueName: "type"))
    var machine: String?

    @Option(help: ArgumentHelp("Accelerator: auto (KVM when it works, else TCG), kvm or tcg (default: [qemu] accel, else auto).", valueName: "accel"))
    var accel: String?

    @Flag(help: "Start in the background and print the instance name.")
    var detach = false

    @Flag(help: "libvirt: define a persistent domain instead of a transient one.")
    var persist = false

    func run() async throws {
        let context = try CLIContext(global)
        try context.requireWritable("run")
        let flags = try parsedFlags()
        let image = try context.catalog().resolve(self.image)
        guard image.bootable else {
            throw UnitopError.imageNotBootable(path: image.path, reason: image.reason ?? "unknown format")
        }
        let spec = try launchSpec(for: image, flags: flags, context: context)
        let backend = try context.backend()
        if (try? await backend.instance(named: spec.name)) != nil {
            throw UnitopError.instanceExists(spec.name)
        }
        context.logger.info("run \(spec.name) from \(spec.imagePath) memory=\(spec.memoryMiB)M cpus=\(spec.cpus) accel=\(spec.accel.rawValue)")
        let instance = try await backend.start(spec)

        if detach {
            StandardStream.output.writeNow(Array((instance.name + "\n").utf8))
            return
        }
        let session = ConsoleSession(backend: backend, name: instance.name, history: .all, forwardInput: true)
        switch try await session.run() {
        case .detached:
            StandardStream.error.writeLine("[detached from \(instance.name); it keeps running — reattach with: unitop console \(instance.name)]")
        case .ended:
            let final = try await FinalState.wait(backend: backend, name: instance.name)
            StandardStream.error.writeLine("[\(instance.name) \(CLIError.oneLine(FinalState.summary(final)))]")
            throw ExitCode(FinalState.exitStatus(final))
        }
    }

    /// The explicit flags, parsed and checked before anything else happens.
    func parsedFlags() throws -> (name: String?, overrides: LaunchOverrides) {
        let overrides = LaunchOverrides(
            memoryMiB: try memory.map { try LaunchLimits.parseMemory($0) },
            cpus: try cpus.map { try LaunchLimits.parseCPUs($0) },
            append: try append.map { try LaunchLimits.checkAppend($0) },
            machine: try machine.map { try LaunchLimits.checkMachine($0) },
            accel: try accel.map { try LaunchLimits.parseAccel($0) },
            persist: persist)
        return (try name.map { try InstanceName.validate($0) }, overrides)
    }

    /// Flag > sidecar > config > default (``LaunchResolver``), validated.
    func launchSpec(for image: Image, flags: (name: String?, overrides: LaunchOverrides), context: CLIContext) throws -> LaunchSpec {
        let instanceName = flags.name ?? InstanceName.derived(fromImage: image.name, suffix: Self.randomSuffix())
        return try LaunchResolver(config: context.config).resolve(
            name: instanceName, image: image, overrides: flags.overrides)
    }

    /// Four random lowercase hex digits.
    static func randomSuffix() -> String {
        String(UInt16.random(in: 0...UInt16.max), radix: 16).zeroPadded(to: 4)
    }
}

extension String {
    func zeroPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// The end state of an instance after its console stream ended.
enum FinalState {
    /// How long to wait for the backend to record the end after the console closed.
    static let settleSeconds = 10.0

    /// Waits (bounded by ``settleSeconds``) until the backend reports the instance ended, from its
    /// events (a subscription replays the current state, so an end that came first is seen), and
    /// returns it as the backend then has it.
    static func wait(backend: any UnikernelBackend, name: String) async throws -> Instance {
        let now = try await backend.instance(named: name)
        if !now.state.isActive { return now }
        let events = backend.events()
        let ended: Instance? = try await withThrowingTaskGroup(of: Instance?.self) { group in
            group.addTask {
                for await e in events {
                    if case .instanceChanged(let i) = e, i.name == name, !i.state.isActive { return i }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(settleSeconds))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let ended { return ended }
        return try await backend.instance(named: name)
    }

    /// exited N → N (capped to 255), crashed → 1, stopped → 0; exited with no code (a backend
    /// without exit codes, see ``BackendCapabilities``) → 0, and the summary says the code is unknown.
    static func exitStatus(_ instance: Instance) -> Int32 {
        switch instance.state {
        case .exited: return Int32(clamping: min(max(instance.exitCode ?? 0, 0), 255))
        case .crashed: return 1
        case .stopped: return 0
        default: return instance.state.isActive ? 1 : 0
        }
    }

    static func summary(_ instance: Instance) -> String {
        switch instance.state {
        case .exited:
            guard let code = instance.exitCode else {
                return "exited (the \(instance.backend) backend does not report exit codes)"
            }
            return "exited with code \(code)"
        case .crashed: return "crashed" + (instance.exitReason.map { ": \($0)" } ?? "")
        case .stopped: return "stopped" + (instance.exitReason.map { " (\($0))" } ?? "")
        default: return "is \(instance.state.rawValue)"
        }
    }
}
