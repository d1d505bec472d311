import ArgumentParser
import Backends
import Foundation
import Models

/// `unitop run IMAGE`: starts an instance; attaches its console unless `--detach`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start an instance of an image.",
        discussion: """
            IMAGE is a path or the name of a catalogued image (see 'unitop images'): a kernel (multiboot, \
            PVH, Linux bzImage) or a disk image (raw with an MBR boot signature, or qcow2) booted from the \
            first drive. Settings come from the flags, else the image's sidecar NAME.toml, else the \
            config. Arguments after -- go to the application; --append holds the kernel parameters. For \
            a Unikraft image unitop always ends the parameters with the -- separator and, on user \
            networking, adds netdev.ip=10.0.2.15/24:10.0.2.2 unless --append sets netdev.ip.

            Example: unitop run nginx_qemu-x86_64 -p 8080:80 (then curl http://127.0.0.1:8080/).

            Without --detach the console is attached (Ctrl-] detaches and leaves it running) and unitop \
            exits with the guest's exit code: N when the guest writes N to QEMU's isa-debug-exit port, \
            except a Unikraft clean halt (41), which is 0, and a Unikraft crash (42), which is 1; 1 when \
            the guest crashes or QEMU dies; 0 when it is stopped. A backend that cannot report the code \
            ('n/a' in ps) gives 0 for an exit, and the last line says the code is unknown.
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

    @Option(parsing: .unconditional, help: ArgumentHelp("Kernel parameters (application arguments go after --).", valueName: "args"))
    var append: String?

    @Option(help: ArgumentHelp("Machine type: \(LaunchLimits.machineList) (default: the image sidecar, else [qemu] machine, else pc).", valueName: "type"))
    var machine: String?

    @Option(help: ArgumentHelp("Accelerator: auto (KVM when it works, else TCG), kvm or tcg (default: [qemu] accel, else auto).", valueName: "accel"))
    var accel: String?

    @Option(help: ArgumentHelp("An initrd: a Unikraft CPIO root filesystem or a Linux initramfs.", valueName: "file"),
            completion: .file())
    var initrd: String?

    @Option(name: .customLong("net"), help: ArgumentHelp(
        "Network: none, user, bridge=NAME, tap=NAME or network=NAME (libvirt) (default: the sidecar's net, else none; --publish implies user).",
        valueName: "mode"), completion: .list(["none", "user", "bridge=", "tap=", "network="]))
    var net: String?

    @Option(name: [.customShort("p"), .customLong("publish")], help: ArgumentHelp(
        "Publish a guest port on the host (repeatable); the host address defaults to 127.0.0.1.",
        valueName: "[host-ip:]host-port:guest-port[/tcp|/udp]"))
    var publish: [String] = []

    @Option(name: [.customShort("v"), .customLong("volume")], help: ArgumentHelp(
        "Share a host folder with the guest over virtio-9p, mounted by its tag (repeatable).", valueName: "host-dir:tag[:ro]"))
    var volume: [String] = []

    @Option(help: ArgumentHelp("Add a virtio-blk drive; raw or qcow2 is read from the file (repeatable).", valueName: "file[:ro]"),
            completion: .file())
    var disk: [String] = []

    @Flag(help: "Start in the background and print the instance name.")
    var detach = false

    @Flag(help: "libvirt: define a persistent domain instead of a transient one.")
    var persist = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Application arguments (after --).", valueName: "args"))
    var arguments: [String] = []

    func run() async throws {
        let context = try CLIContext(global)
        try context.requireWritable("run")
        let flags = try parsedFlags()
        let image = try context.catalog().resolve(self.image)
        guard image.bootable else {
            throw UnitopError.imageNotBootable(path: image.path, reason: image.reason ?? "unknown format")
        }
        let spec = try launchSpec(for: image, flags: flags, context: context)
        let backend = try context.launchBackend()
        (backend as? LibvirtBackend)?.onUploadStart { file, host, bytes in
            let mb = Double(bytes) / 1_000_000
            StandardStream.error.writeLine("uploading \(file) to \(host) (\(mb < 10 ? String(format: "%.1f", mb) : String(Int(mb.rounded()))) MB)")
        }
        if (try? await backend.instance(named: spec.name)) != nil {
            throw UnitopError.instanceExists(spec.name)
        }
        context.logger.info("run \(spec.name) from \(spec.imagePath) memory=\(spec.memoryMiB)M cpus=\(spec.cpus) accel=\(spec.accel.rawValue) net=\(spec.network) ports=\(spec.ports.map(\.description))")
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

    /// The explicit flags, parsed and checked before anything else happens. A malformed
    /// `--net`, `-p`, `-v` or `--disk` is a usage error (exit 2); the files they name are
    /// checked by the resolver (exit 1).
    func parsedFlags() throws -> (name: String?, overrides: LaunchOverrides) {
        var overrides = LaunchOverrides(
            memoryMiB: try memory.map { try LaunchLimits.parseMemory($0) },
            cpus: try cpus.map { try LaunchLimits.parseCPUs($0) },
            append: try append.map { try LaunchLimits.checkAppend($0) },
            machine: try machine.map { try LaunchLimits.checkMachine($0) },
            accel: try accel.map { try LaunchLimits.parseAccel($0) },
            persist: persist)
        try parseWorkload(into: &overrides)
        return (try name.map { try InstanceName.validate($0) }, overrides)
    }

    /// `--net`, `-p`, `-v`, `--disk`, `--initrd` and the arguments after `--`.
    func parseWorkload(into overrides: inout LaunchOverrides) throws {
        func usage<T>(_ body: () throws(UnitopError) -> T) throws -> T {
            do { return try body() } catch { throw ValidationError(error.description) }
        }
        let here = FileManager.default.currentDirectoryPath
        overrides.network = try net.map { text in try usage { () throws(UnitopError) in try NetworkMode.parse(text) } }
        if !publish.isEmpty {
            overrides.ports = try publish.map { text in try usage { () throws(UnitopError) in try PortMapping.parse(text) } }
            if let network = overrides.network, network != .user {
                throw ValidationError("--publish needs user networking: --net \(network) publishes no ports (leave --net out or use --net user)")
            }
        }
        if !volume.isEmpty {
            overrides.volumes = try volume.map { text in
                try usage { () throws(UnitopError) in try VolumeMount.parse(text, baseDirectory: here) }
            }
        }
        if !disk.isEmpty {
            overrides.disks = try disk.map { text in
                try usage { () throws(UnitopError) in try DiskRequest.parse(text, baseDirectory: here) }
            }
        }
        if let initrd {
            guard !initrd.isEmpty else { throw ValidationError("--initrd needs a file") }
            overrides.initrd = initrd
        }
        overrides.applicationArguments = arguments
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
