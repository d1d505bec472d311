/// Every limit on what an instance may be launched with, defined once. `unitop run`, the TUI start
/// form, image sidecars, the config and both backends parse and check values here, so a value
/// accepted on one path is accepted on every path, and a ``LaunchSpec`` built anywhere is checked
/// identically by ``validate(_:)``.
public enum LaunchLimits {
    /// Virtual CPUs.
    public static let cpus: ClosedRange<Int> = 1...64
    /// Guest memory in MiB (1 MiB to 1 TiB).
    public static let memoryMiB: ClosedRange<Int> = 1...MemorySize.maxMiB
    /// Longest kernel command line, in bytes.
    public static let maxAppendBytes = 4096
    /// Machine types a launch may ask for (QEMU's names; libvirt passes them through).
    public static let machines: [String] = ["pc", "q35", "microvm"]
    /// Accelerators a launch may ask for.
    public static let accels: [Accel] = Accel.allCases

    /// `machines` as prose: "pc, q35 or microvm".
    public static var machineList: String { list(machines) }
    /// `accels` as prose: "auto, kvm or tcg".
    public static var accelList: String { list(accels.map(\.rawValue)) }

    /// `where` for a message: "" or " in the image sidecar".
    private static func origin(_ source: String?) -> String { source.map { " in \($0)" } ?? "" }

    private static func list(_ words: [String]) -> String {
        words.count < 2 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + (words.last ?? "")
    }

    /// Parses a CPU count typed by the user (`--cpus`, the start form).
    public static func parseCPUs(_ text: String) throws(UnitopError) -> Int {
        guard let n = Int(text.trimmingSpaces), cpus.contains(n) else {
            throw .invalidArgument("invalid cpus '\(text)': expected a number from \(cpus.lowerBound) to \(cpus.upperBound)")
        }
        return n
    }

    /// Checks a CPU count from `source` (nil: given directly).
    public static func checkCPUs(_ n: Int, source: String? = nil) throws(UnitopError) -> Int {
        guard cpus.contains(n) else {
            throw .invalidArgument("invalid cpus \(n)\(origin(source)): expected \(cpus.lowerBound) to \(cpus.upperBound)")
        }
        return n
    }

    /// Parses a memory size typed by the user (`64M`, `1G`; see ``MemorySize``).
    public static func parseMemory(_ text: String) throws(UnitopError) -> Int {
        try checkMemory(try MemorySize.parseMiB(text.trimmingSpaces))
    }

    /// Checks a memory size in MiB from `source`.
    public static func checkMemory(_ mib: Int, source: String? = nil) throws(UnitopError) -> Int {
        guard memoryMiB.contains(mib) else {
            throw .invalidArgument("invalid memory \(mib) MiB\(origin(source)): expected 1 MiB to 1 TiB")
        }
        return mib
    }

    /// Checks a machine type from `source`.
    public static func checkMachine(_ text: String, source: String? = nil) throws(UnitopError) -> String {
        guard machines.contains(text) else {
            throw .invalidArgument("invalid machine '\(text)'\(origin(source)): expected \(machineList)")
        }
        return text
    }

    /// Parses an accelerator name (case-insensitive).
    public static func parseAccel(_ text: String) throws(UnitopError) -> Accel {
        guard let a = Accel(rawValue: text.lowercased()), accels.contains(a) else {
            throw .invalidArgument("invalid accel '\(text)': expected \(accelList)")
        }
        return a
    }

    /// Checks a kernel command line from `source`: one line, at most ``maxAppendBytes``.
    public static func checkAppend(_ text: String, source: String? = nil) throws(UnitopError) -> String {
        guard text.utf8.count <= maxAppendBytes else {
            throw .invalidArgument("kernel command line\(origin(source)) too long: \(text.utf8.count) bytes, at most \(maxAppendBytes)")
        }
        guard !text.unicodeScalars.contains(where: { $0.value == 0 || $0.value == 0x0A || $0.value == 0x0D }) else {
            throw .invalidArgument("kernel command line\(origin(source)) must be one line (no NUL, CR or LF)")
        }
        return text
    }

    /// Checks every field of a spec built anywhere (backends call this before they start one).
    public static func validate(_ spec: LaunchSpec) throws(UnitopError) {
        let source = "the launch spec of '\(spec.name)'"
        try InstanceName.validate(spec.name)
        guard !spec.imagePath.isEmpty else { throw .invalidArgument("no image path\(origin(source))") }
        _ = try checkMemory(spec.memoryMiB, source: source)
        _ = try checkCPUs(spec.cpus, source: source)
        _ = try checkMachine(spec.machine, source: source)
        _ = try checkAppend(spec.append, source: source)
        try validateWorkload(spec)
    }

    /// Checks the workload half of a spec: counts, no two ports on one host port, distinct
    /// volume tags, names, arguments, and the composed command line's length.
    public static func validateWorkload(_ spec: LaunchSpec) throws(UnitopError) {
        guard spec.ports.count <= WorkloadFiles.maxPorts else {
            throw .invalidArgument("too many published ports (\(spec.ports.count), at most \(WorkloadFiles.maxPorts))")
        }
        guard spec.volumes.count <= WorkloadFiles.maxVolumes else {
            throw .invalidArgument("too many volumes (\(spec.volumes.count), at most \(WorkloadFiles.maxVolumes))")
        }
        guard spec.disks.count <= WorkloadFiles.maxDisks else {
            throw .invalidArgument("too many disks (\(spec.disks.count), at most \(WorkloadFiles.maxDisks))")
        }
        guard spec.applicationArguments.count <= WorkloadFiles.maxApplicationArguments else {
            throw .invalidArgument("too many application arguments (at most \(WorkloadFiles.maxApplicationArguments))")
        }
        if !spec.ports.isEmpty, spec.network != .user {
            throw .invalidArgument("published ports need user networking (--net user), not --net \(spec.network)")
        }
        for (i, p) in spec.ports.enumerated() {
            for q in spec.ports[..<i] where p.clashes(with: q) {
                throw .invalidArgument("host port \(p.hostPort)/\(p.protocol.rawValue) is published twice")
            }
        }
        var tags = Set<String>()
        for v in spec.volumes {
            try VolumeMount.checkTag(v.tag)
            guard tags.insert(v.tag).inserted else { throw .invalidArgument("volume tag '\(v.tag)' is used twice") }
            guard v.hostPath.hasPrefix("/") else { throw .invalidArgument("volume '\(v.tag)': path is not absolute") }
        }
        switch spec.network {
        case .bridge(let n), .tap(let n), .network(let n): try NetworkMode.checkName(n, what: "network")
        case .none, .user: break
        }
        for a in spec.applicationArguments where a.unicodeScalars.contains(where: { $0.value == 0 || $0.value == 0x0A || $0.value == 0x0D }) {
            throw .invalidArgument("application arguments must be one line each (no NUL, CR or LF)")
        }
        let line = spec.kernelCommandLine
        guard line.utf8.count <= maxAppendBytes else {
            throw .invalidArgument("guest command line too long: \(line.utf8.count) bytes with the arguments, at most \(maxAppendBytes)")
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (Foundation-free).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
