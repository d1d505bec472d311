import Foundation

/// Reads `config.toml` into a ``Config``. Bounded (``maxFileBytes``), strict (unknown keys and
/// tables are errors) and precise (errors name the file and, where known, the line).
///
/// ```toml
/// backend = "qemu"                 # qemu | libvirt
/// image_dirs = ["~/unikernels", "images"]   # relative to the config file's directory
/// theme = "dark"
/// scrollback_lines = 10000         # 100 ... 1000000
/// stop_timeout = 10                # seconds, 0 ... 3600 (integer or float)
/// console_log_max = "64M"          # or a number of bytes; 64K ... 1T
/// mouse = false
///
/// [libvirt]
/// uris = ["qemu:///system"]
/// timeout = 5                      # seconds one host may take to answer, 0.1 ... 600
///
/// [qemu]
/// binary = "qemu-system-x86_64"
/// accel = "auto"                   # auto | kvm | tcg
/// cpu = "kvm64"
/// machine = "pc"
/// ```
public enum ConfigLoader {
    /// Config files larger than this are refused.
    public static let maxFileBytes = 1 << 20
    public static let scrollbackRange = 100...1_000_000
    public static let stopTimeoutRange = 0.0...3600.0
    public static let hostTimeoutRange = 0.1...600.0
    public static let consoleLogMaxRange: ClosedRange<Int> = (64 << 10)...(1 << 40)
    public static let maxImageDirectories = 64
    public static let maxLibvirtURIs = 32

    static let rootKeys: Set<String> = [
        "backend", "image_dirs", "theme", "scrollback_lines", "stop_timeout", "console_log_max", "mouse",
        "libvirt", "qemu",
    ]
    static let libvirtKeys: Set<String> = ["uris", "timeout"]
    static let qemuKeys: Set<String> = ["binary", "accel", "cpu", "machine"]

    /// A number of seconds (integer or float) within `range`, nil when the key is absent.
    static func seconds(_ table: TOMLTableReader, _ key: String, range: ClosedRange<Double>) throws(UnitopError) -> Double? {
        guard let v = table.value(key) else { return nil }
        guard let seconds = v.double ?? v.int.map(Double.init) else {
            throw table.fail(key, "'\(key)' must be a number of seconds, not \(table.typeName(v))")
        }
        guard seconds.isFinite, range.contains(seconds) else {
            throw table.fail(key, "'\(key)' must be between \(String(format: "%g", range.lowerBound)) and \(String(format: "%g", range.upperBound)) seconds, not \(v.debugDescription)")
        }
        return seconds
    }

    /// Loads the file at `path`; see ``Config/load(path:mustExist:)``.
    public static func load(path: String, mustExist: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) throws(UnitopError) -> Config {
        let bytes: [UInt8]
        switch BoundedFile.read(path: path, limit: maxFileBytes) {
        case .success(let b): bytes = b
        case .failure(.missing):
            if mustExist { throw .config(path: path, line: nil, message: "no such file") }
            return Config()
        case .failure(.notRegular(let kind)): throw .config(path: path, line: nil, message: "not a regular file (\(kind))")
        case .failure(.tooLarge(let limit)):
            throw .config(path: path, line: nil, message: "larger than \(limit >> 20) MiB; refusing to read it")
        case .failure(.unreadable(let why)): throw .config(path: path, line: nil, message: why)
        }
        let text = try TOMLDocument.decodeUTF8(bytes, file: path)
        let directory = FileStatus.absolute(path).split(separator: "/").dropLast().joined(separator: "/")
        return try parse(text, file: path, baseDirectory: "/" + directory, home: environment["HOME"])
    }

    /// Parses config text. Relative `image_dirs` are taken from `baseDirectory`; `~/` from `home`.
    public static func parse(_ text: String, file: String, baseDirectory: String = "/", home: String? = nil) throws(UnitopError) -> Config {
        let document = try TOMLDocument.parse(text, file: file)
        let root = TOMLTableReader(document: document, table: document.table, path: [])
        try root.rejectUnknownKeys(rootKeys)
        var config = Config()
        if let backend = try root.string("backend", maxBytes: 64) {
            guard let kind = BackendKind(rawValue: backend) else {
                throw root.fail("backend", "'backend' must be qemu or libvirt, not '\(backend)'")
            }
            config.defaultBackend = kind
        }
        if let dirs = try root.stringArray("image_dirs", maxCount: maxImageDirectories) {
            config.imageDirectories = dirs.map { expand($0, baseDirectory: baseDirectory, home: home) }
        }
        if let theme = try root.string("theme", maxBytes: 1024) { config.theme = theme }
        if let n = try root.int("scrollback_lines", range: scrollbackRange) { config.scrollbackLines = n }
        if let seconds = try seconds(root, "stop_timeout", range: stopTimeoutRange) { config.stopTimeoutSeconds = seconds }
        if let v = root.value("console_log_max") {
            let bytes: Int
            if let n = v.int {
                bytes = n
            } else if let s = v.string {
                guard let n = parseByteSize(s) else {
                    throw root.fail("console_log_max", "'console_log_max' is not a size: '\(s)' (expected e.g. 64M or a number of bytes)")
                }
                bytes = n
            } else {
                throw root.fail("console_log_max", "'console_log_max' must be a size such as \"64M\" or a number of bytes, not \(root.typeName(v))")
            }
            guard consoleLogMaxRange.contains(bytes) else {
                throw root.fail("console_log_max", "'console_log_max' must be between 64K and 1T")
            }
            config.consoleLogMaxBytes = bytes
        }
        if let mouse = try root.bool("mouse") { config.mouse = mouse }
        if let libvirt = try root.table("libvirt") {
            try libvirt.rejectUnknownKeys(libvirtKeys)
            if let uris = try libvirt.stringArray("uris", maxCount: maxLibvirtURIs) { config.libvirtURIs = uris }
            if let seconds = try seconds(libvirt, "timeout", range: hostTimeoutRange) { config.hostTimeoutSeconds = seconds }
        }
        if let qemu = try root.table("qemu") {
            try qemu.rejectUnknownKeys(qemuKeys)
            if let binary = try qemu.string("binary") { config.qemu.binary = binary }
            if let accel = try qemu.string("accel", maxBytes: 16) {
                guard let a = Accel(rawValue: accel), LaunchLimits.accels.contains(a) else {
                    throw qemu.fail("accel", "'qemu.accel' must be \(LaunchLimits.accelList), not '\(accel)'")
                }
                config.qemu.accel = a
            }
            if let cpu = try qemu.string("cpu", maxBytes: 256) {
                guard isOptionWord(cpu, allowing: ",=+") else {
                    throw qemu.fail("cpu", "'qemu.cpu' has characters QEMU does not accept: '\(cpu)'")
                }
                config.qemu.cpu = cpu
            }
            if let machine = try qemu.string("machine", maxBytes: 128) {
                guard LaunchLimits.machines.contains(machine) else {
                    throw qemu.fail("machine", "'qemu.machine' must be \(LaunchLimits.machineList), not '\(machine)'")
                }
                config.qemu.machine = machine
            }
        }
        return config
    }

    /// `~/x` → `$HOME/x`; relative → under `baseDirectory`.
    static func expand(_ dir: String, baseDirectory: String, home: String?) -> String {
        if dir == "~" , let home { return home }
        if dir.hasPrefix("~/"), let home { return home + dir.dropFirst(1) }
        if dir.hasPrefix("/") { return dir }
        return (baseDirectory.hasSuffix("/") ? baseDirectory : baseDirectory + "/") + dir
    }

    /// Letters, digits, `.`, `_`, `-` plus `extra`.
    static func isOptionWord(_ s: String, allowing extra: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
                || c == "." || c == "_" || c == "-" || extra.unicodeScalars.contains(c)
        }
    }

    /// `"64M"`, `"512K"`, `"1G"`, `"1GiB"`, `"4096"` → bytes; nil when malformed or over 2^62.
    static func parseByteSize(_ text: String) -> Int? {
        var s = Substring(text.uppercased())
        guard !s.isEmpty, s.utf8.count <= 24 else { return nil }
        if s.hasSuffix("IB") { s = s.dropLast(2) } else if s.hasSuffix("B") { s = s.dropLast() }
        var shift = 0
        switch s.last {
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        case "T": shift = 40
        default: break
        }
        if shift > 0 { s = s.dropLast() }
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(s) else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: 1 << shift)
        guard !overflow, v <= 1 << 62 else { return nil }
        return v
    }
}
