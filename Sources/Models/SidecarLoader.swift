import Foundation

/// Reads an image's sidecar `NAME.toml` (launch defaults) — never throws: a malformed sidecar
/// becomes an error string (`file:line: message`) and no defaults.
///
/// ```toml
/// memory = "64M"        # or an integer number of MiB
/// cpus = 1
/// machine = "pc"        # see LaunchLimits.machines
/// append = "console=ttyS0"
/// description = "what this image is"
/// net = "user"          # none, user, bridge=NAME, tap=NAME, network=NAME (libvirt)
/// publish = ["8080:80"] # [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]; implies net = "user"
/// initrd = "rootfs.cpio"          # relative paths are taken from the sidecar's folder
/// volumes = ["www:fs0:ro"]        # HOST_DIR:TAG[:ro]
/// disks = ["data.qcow2"]          # FILE[:ro]
/// ```
/// Unknown keys are errors (they are usually typos).
public enum SidecarLoader {
    /// Sidecars larger than this are refused.
    public static let maxSidecarBytes = 64 * 1024
    static let knownKeys: Set<String> = ["memory", "cpus", "machine", "append", "description", "net", "publish",
                                         "initrd", "volumes", "disks"]

    /// Where a sidecar for the image at `imagePath` may live, in order:
    /// `<path without extension>.toml`, then `<path>.toml`; for a symlinked image, then the
    /// same next to the link's target.
    public static func candidates(forImage imagePath: String) -> [String] {
        var out = sidecarNames(imagePath)
        if let resolved = realpath(imagePath, nil) {
            defer { free(resolved) }
            let target = String(cString: resolved)
            if target != imagePath { out += sidecarNames(target) }
        }
        return out
    }

    private static func sidecarNames(_ imagePath: String) -> [String] {
        var out: [String] = []
        let slash = imagePath.lastIndex(of: "/").map { imagePath.index(after: $0) } ?? imagePath.startIndex
        let fileName = imagePath[slash...]
        if let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex {
            out.append(String(imagePath[..<dot]) + ".toml")
        }
        out.append(imagePath + ".toml")
        return out
    }

    /// The sidecar of `imagePath`: `(nil, nil)` when there is none, `(defaults, nil)` when valid,
    /// `(nil, message)` when malformed.
    public static func load(forImage imagePath: String) -> (defaults: ImageDefaults?, error: String?) {
        for candidate in candidates(forImage: imagePath) {
            switch BoundedFile.read(path: candidate, limit: maxSidecarBytes) {
            case .failure(.missing):
                continue
            case .failure(.notRegular(let kind)):
                return (nil, "\(candidate): not a regular file (\(kind))")
            case .failure(.tooLarge(let limit)):
                return (nil, "\(candidate): larger than \(limit / 1024) KiB")
            case .failure(.unreadable(let why)):
                return (nil, "\(candidate): \(why)")
            case .success(let bytes):
                do {
                    let text = try TOMLDocument.decodeUTF8(bytes, file: candidate)
                    return (try parse(text, file: candidate), nil)
                } catch {
                    return (nil, error.description)
                }
            }
        }
        return (nil, nil)
    }

    /// Parses sidecar text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(UnitopError) -> ImageDefaults {
        let document = try TOMLDocument.parse(text, file: file)
        let root = TOMLTableReader(document: document, table: document.table, path: [])
        try root.rejectUnknownKeys(knownKeys)
        var defaults = ImageDefaults()
        if let v = root.value("memory") {
            if let n = v.int {
                guard LaunchLimits.memoryMiB.contains(n) else {
                    throw root.fail("memory", "'memory' must be between 1 and \(LaunchLimits.memoryMiB.upperBound) MiB, not \(n)")
                }
                defaults.memoryMiB = n
            } else if let s = v.string {
                do {
                    defaults.memoryMiB = try MemorySize.parseMiB(s)
                } catch {
                    throw root.fail("memory", "'memory': \(error.description)")
                }
            } else {
                throw root.fail("memory", "'memory' must be a size such as \"64M\" or a number of MiB, not \(root.typeName(v))")
            }
        }
        defaults.cpus = try root.int("cpus", range: LaunchLimits.cpus)
        if let machine = try root.string("machine", maxBytes: 64) {
            guard LaunchLimits.machines.contains(machine) else {
                throw root.fail("machine", "'machine' must be \(LaunchLimits.machineList), not '\(machine)'")
            }
            defaults.machine = machine
        }
        defaults.append = try root.string("append", allowEmpty: true)
        defaults.description = try root.string("description", allowEmpty: true)
        try parseWorkload(root, into: &defaults, baseDirectory: directory(of: file))
        return defaults
    }

    /// `net`, `publish`, `initrd`, `volumes`, `disks`; paths relative to `baseDirectory`.
    static func parseWorkload(_ root: TOMLTableReader, into defaults: inout ImageDefaults,
                              baseDirectory: String) throws(UnitopError) {
        func keyed<T>(_ key: String, _ body: () throws(UnitopError) -> T) throws(UnitopError) -> T {
            do { return try body() } catch { throw root.fail(key, "'\(key)': \(error.description)") }
        }
        if let net = try root.string("net", maxBytes: 80) {
            defaults.network = try keyed("net") { () throws(UnitopError) in try NetworkMode.parse(net) }
        }
        if let list = try root.stringArray("publish", maxCount: WorkloadFiles.maxPorts, maxBytes: 80) {
            defaults.ports = try keyed("publish") { () throws(UnitopError) in
                var out: [PortMapping] = []
                for p in list { out.append(try PortMapping.parse(p)) }
                return out
            }
        }
        if let initrd = try root.string("initrd") {
            defaults.initrd = WorkloadPaths.absolute(initrd, base: baseDirectory)
        }
        if let list = try root.stringArray("volumes", maxCount: WorkloadFiles.maxVolumes) {
            defaults.volumes = try keyed("volumes") { () throws(UnitopError) in
                var out: [VolumeMount] = []
                for v in list { out.append(try VolumeMount.parse(v, baseDirectory: baseDirectory)) }
                return out
            }
        }
        if let list = try root.stringArray("disks", maxCount: WorkloadFiles.maxDisks) {
            defaults.disks = try keyed("disks") { () throws(UnitopError) in
                var out: [DiskRequest] = []
                for d in list { out.append(try DiskRequest.parse(d, baseDirectory: baseDirectory)) }
                return out
            }
        }
    }

    /// The folder of `file` ("/" for a bare name).
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return FileManager.default.currentDirectoryPath }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }
}
