import Foundation
import Models

/// `i` on the images screen: what the inspector found in the selected image (format, Unikraft,
/// the disk checks) and its sidecar defaults; drawn by ``DetailsView``.
enum ImageDetailsView {
    static func fields(_ image: Image, _ s: AppState) -> [(String, String)] {
        let dash = s.symbols.emDash
        var f: [(String, String)] = [
            ("Name", image.name), ("Path", image.path), ("Kind", image.kind), ("Format", image.format.rawValue),
            ("Arch", image.arch ?? dash), ("Size", Formatting.bytes(image.sizeBytes)),
            ("Modified", image.modifiedAt.map(Formatting.date) ?? dash),
            ("Bootable", image.bootable ? bootHow(image) : "no: \(image.reason ?? "unknown format")"),
            ("Unikraft", image.unikraft ? "yes (.uk_* ELF sections)" : "no"),
            ("Disk check", image.diskCheck ?? dash),
        ]
        if let e = image.sidecarError {
            f.append(("Sidecar", "error: \(e)"))
        } else if let d = image.defaults {
            f += sidecarFields(d, s)
        } else {
            f.append(("Sidecar", "(none)"))
        }
        return f
    }

    /// How the image boots.
    static func bootHow(_ image: Image) -> String {
        switch image.format {
        case .rawDisk, .qcow2: return "yes, from the first disk through the firmware"
        default: return "yes, as a kernel (-kernel)"
        }
    }

    /// The sidecar's launch defaults, one field each that it sets.
    static func sidecarFields(_ d: ImageDefaults, _ s: AppState) -> [(String, String)] {
        var f: [(String, String)] = []
        func add(_ key: String, _ value: String?) { if let value { f.append(("  " + key, value)) } }
        f.append(("Sidecar", d.description ?? ""))
        add("memory", d.memoryMiB.map { "\($0) MiB" })
        add("cpus", d.cpus.map { "\($0)" })
        add("machine", d.machine)
        add("append", d.append)
        add("net", d.network?.description)
        add("publish", d.ports.map { $0.map(\.compactDescription).joined(separator: ", ") })
        add("initrd", d.initrd)
        add("volumes", d.volumes.map { $0.map(\.description).joined(separator: ", ") })
        add("disks", d.disks.map { $0.map { $0.path + ($0.readOnly ? ":ro" : "") }.joined(separator: ", ") })
        return f
    }
}
