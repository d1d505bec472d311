/// Derives an image's display name (and, for Unikraft build outputs, its architecture) from
/// its file name.
///
/// `hello.elf` → `hello`; `nginx_qemu-x86_64` → `nginx` (arch `x86_64`);
/// `app_kvm-arm64.img` → `app` (arch `aarch64`). Files without a recognised extension keep
/// their full name.
public struct ImageNaming: Sendable, Equatable {
    /// Extensions removed from the display name.
    public static let strippedExtensions: Set<String> = ["elf", "bin", "img", "kernel"]
    /// Unikraft platform names that appear in `APP_PLATFORM-ARCH` outputs.
    public static let unikraftPlatforms: Set<String> = ["qemu", "kvm", "fc", "firecracker", "xen", "linuxu"]
    /// Unikraft architecture suffixes and the architecture names unitop reports for them.
    public static let unikraftArchitectures: [String: String] = [
        "x86_64": "x86_64", "arm64": "aarch64", "arm": "arm", "riscv64": "riscv64",
    ]

    /// Display name.
    public var name: String
    /// Architecture implied by a Unikraft suffix, if any.
    public var arch: String?
    /// True for a Unikraft `APP_PLATFORM-ARCH` output.
    public var isUnikraftOutput: Bool { arch != nil }

    public init(fileName: String) {
        var stem = fileName
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex {
            let ext = stem[stem.index(after: dot)...].lowercased()
            if Self.strippedExtensions.contains(ext) { stem = String(stem[..<dot]) }
        }
        name = stem
        arch = nil
        // `x86_64` has an underscore itself, so match whole `_PLATFORM-ARCH` suffixes.
        for platform in Self.unikraftPlatforms {
            for (suffix, archName) in Self.unikraftArchitectures {
                let tail = "_\(platform)-\(suffix)"
                if stem.hasSuffix(tail), stem.utf8.count > tail.utf8.count {
                    name = String(stem.dropLast(tail.count))
                    arch = archName
                    return
                }
            }
        }
    }
}
