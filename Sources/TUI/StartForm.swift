import Foundation
import Models

/// The start form: launch parameters prefilled by ``LaunchResolver`` (the image sidecar, else the
/// config, else the defaults); on Enter the fields are the explicit values the resolver checks,
/// parsed by the same parsers as `unitop run`'s flags.
public struct StartForm: Sendable, Equatable {
    public enum Field: Int, CaseIterable, Sendable {
        case name, memory, cpus, append, machine, network, ports, initrd, volumes, disks, arguments, backend
    }

    /// The image to boot (its format and Unikraft flag reach the spec; its sidecar values are
    /// already in the fields).
    public var image: Image
    public var imagePath: String { image.path }
    public var imageName: String { image.name }
    public var name: String
    public var memory: String
    public var cpus: String
    public var append: String
    /// One of ``LaunchLimits/machines`` (chosen with Left/Right).
    public var machine: String
    /// `none`, `user`, `bridge=NAME`, `tap=NAME`, `network=NAME`; empty: none, or user when
    /// ports are published.
    public var network = ""
    /// Published ports, comma-separated (`8080:80, 127.0.0.1:5353:53/udp`).
    public var ports = ""
    public var initrd = ""
    /// Shared folders, comma-separated `HOST_DIR:TAG[:ro]`.
    public var volumes = ""
    /// Extra drives, comma-separated `FILE[:ro]`.
    public var disks = ""
    /// Application arguments, split on spaces; quotes keep spaces.
    public var arguments = ""
    /// Index into ``AppState/backends``.
    public var backendIndex: Int
    public var field: Field = .name
    public var error: String?

    /// Longest text a field takes.
    static let maxFieldLength = 1024

    init(image: Image, name: String, memory: String, cpus: String, append: String, machine: String, backendIndex: Int) {
        self.image = image; self.name = name; self.memory = memory; self.cpus = cpus; self.append = append
        self.machine = machine; self.backendIndex = backendIndex
    }

    /// Label, value and what an empty value means, for each field of the form.
    func row(_ field: Field) -> (label: String, value: String, placeholder: String) {
        switch field {
        case .name: return ("Name", name, "")
        case .memory: return ("Memory", memory, "e.g. 64M or 1G")
        case .cpus: return ("CPUs", cpus, "")
        case .append: return ("Append", append, "kernel parameters")
        case .machine: return ("Machine", "< \(machine) >", "")
        case .network: return ("Network", network, "none (user when ports are published); user, bridge=NAME, tap=NAME, network=NAME")
        case .ports: return ("Ports", ports, "none; e.g. 8080:80, 127.0.0.1:5353:53/udp")
        case .initrd: return ("Initrd", initrd, "none; a CPIO root filesystem or initramfs")
        case .volumes: return ("Volumes", volumes, "none; HOST_DIR:TAG[:ro], comma-separated")
        case .disks: return ("Disks", disks, "none; FILE[:ro], comma-separated")
        case .arguments: return ("App args", arguments, "none; given to the application after --")
        case .backend: return ("Backend", "", "")
        }
    }

    /// The text of a text field; nil for the choice fields (machine, backend).
    func text(_ field: Field) -> String? {
        switch field {
        case .name: return name
        case .memory: return memory
        case .cpus: return cpus
        case .append: return append
        case .network: return network
        case .ports: return ports
        case .initrd: return initrd
        case .volumes: return volumes
        case .disks: return disks
        case .arguments: return arguments
        case .machine, .backend: return nil
        }
    }

    /// Changes the focused text field (choice fields ignore it) and clears the error.
    mutating func edit(_ change: (inout String) -> Void) {
        switch field {
        case .name: change(&name)
        case .memory: change(&memory)
        case .cpus: change(&cpus)
        case .append: change(&append)
        case .network: change(&network)
        case .ports: change(&ports)
        case .initrd: change(&initrd)
        case .volumes: change(&volumes)
        case .disks: change(&disks)
        case .arguments: change(&arguments)
        case .backend, .machine: break
        }
        error = nil
    }

    /// Fills the workload fields from launch values (a resolved spec, or an instance's).
    mutating func fillWorkload(network: NetworkMode?, ports: [PortMapping], initrd: String?, volumes: [VolumeMount],
                               disks: [DiskAttachment]) {
        // "none", and "user" implied by published ports, are what the empty field means.
        if let network, network != .none, !(network == .user && !ports.isEmpty) { self.network = network.description }
        self.ports = ports.map(\.compactDescription).joined(separator: ", ")
        self.initrd = initrd ?? ""
        self.volumes = volumes.map(\.description).joined(separator: ", ")
        self.disks = disks.map { $0.path + ($0.readOnly ? ":ro" : "") }.joined(separator: ", ")
    }

    /// A field's value that does not parse: the form moves to the field and shows why.
    struct FieldError: Error {
        var field: Field
        var error: UnitopError
    }

    /// Every field as an explicit launch value (an empty list is "none", not "the sidecar's"),
    /// checked by the parsers `unitop run` uses; relative paths from `baseDirectory`.
    func overrides(baseDirectory: String) throws(FieldError) -> LaunchOverrides {
        func parse<T>(_ field: Field, _ body: () throws(UnitopError) -> T) throws(FieldError) -> T {
            do { return try body() } catch { throw FieldError(field: field, error: error) }
        }
        var o = LaunchOverrides(
            memoryMiB: try parse(.memory) { () throws(UnitopError) in try LaunchLimits.parseMemory(memory) },
            cpus: try parse(.cpus) { () throws(UnitopError) in try LaunchLimits.parseCPUs(cpus) },
            append: try parse(.append) { () throws(UnitopError) in try LaunchLimits.checkAppend(append) },
            machine: try parse(.machine) { () throws(UnitopError) in try LaunchLimits.checkMachine(machine) })
        let net = network.trimmingCharacters(in: .whitespaces)
        o.network = net.isEmpty ? nil : try parse(.network) { () throws(UnitopError) in try NetworkMode.parse(net) }
        o.ports = try parse(.ports) { () throws(UnitopError) in
            try Self.list(ports).map { text throws(UnitopError) in try PortMapping.parse(text) }
        }
        let initrdPath = initrd.trimmingCharacters(in: .whitespaces)
        o.initrd = initrdPath.isEmpty ? nil : initrdPath
        o.volumes = try parse(.volumes) { () throws(UnitopError) in
            try Self.list(volumes).map { text throws(UnitopError) in try VolumeMount.parse(text, baseDirectory: baseDirectory) }
        }
        o.disks = try parse(.disks) { () throws(UnitopError) in
            try Self.list(disks).map { text throws(UnitopError) in try DiskRequest.parse(text, baseDirectory: baseDirectory) }
        }
        o.applicationArguments = try parse(.arguments) { () throws(UnitopError) in try Self.words(arguments) }
        return o
    }

    /// The field a resolver error is about, from the words it starts with (the files are
    /// checked by ``LaunchResolver``, after parsing).
    static func field(of error: UnitopError) -> Field? {
        let text = error.description
        let prefixes: [(String, Field)] = [
            ("initrd", .initrd), ("--initrd", .initrd), ("volume", .volumes), ("disk", .disks),
            ("published ports", .ports), ("host port", .ports), ("too many published", .ports),
            ("too many volumes", .volumes), ("too many disks", .disks), ("too many application", .arguments),
            ("application arguments", .arguments), ("guest command line", .append),
        ]
        return prefixes.first { text.hasPrefix($0.0) }?.1
    }

    /// The comma-separated items of a list field, trimmed; empty ones dropped.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Arguments split on spaces; double or single quotes keep spaces (`a "b c"` is two words).
    static func words(_ text: String) throws(UnitopError) -> [String] {
        var words: [String] = [], current = "", inWord = false
        var quote: Character?
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch; inWord = true
            } else if ch == " " || ch == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(ch); inWord = true
            }
        }
        if let q = quote { throw .invalidArgument("application arguments: unclosed \(q)") }
        if inWord { words.append(current) }
        return words
    }

    /// Kernel parameters and application arguments from a guest command line: what follows
    /// ` -- ` is the application's (Unikraft and Linux both read it so).
    static func splitCommandLine(_ line: String) -> (append: String, arguments: String) {
        if line == "--" { return ("", "") }
        if line.hasPrefix("-- ") { return ("", String(line.dropFirst(3))) }
        if line.hasSuffix(" --") { return (String(line.dropLast(3)), "") }
        guard let r = line.range(of: " -- ") else { return (line, "") }
        return (String(line[..<r.lowerBound]), String(line[r.upperBound...]))
    }
}
