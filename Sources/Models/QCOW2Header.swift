/// The fields of a qcow2 header that decide whether unitop boots the image, read from its first
/// bytes (big-endian, QEMU's docs/interop/qcow2.txt).
struct QCOW2Header: Equatable {
    static let magic: [UInt8] = [0x51, 0x46, 0x49, 0xFB]

    var version: UInt32
    var backingFileOffset: UInt64
    var clusterBits: UInt32
    var virtualSize: UInt64
    var encryption: UInt32
    var incompatibleFeatures: UInt64

    /// nil when the bytes do not start with the qcow2 magic.
    static func parse(_ r: ByteReader) -> QCOW2Header? {
        guard r.matches(magic, at: 0) else { return nil }
        let be = ByteReader(r.bytes, bigEndian: true)
        let version = be.u32(4) ?? 0
        return QCOW2Header(version: version, backingFileOffset: be.u64(8) ?? 0, clusterBits: be.u32(20) ?? 0,
                           virtualSize: be.u64(24) ?? 0, encryption: be.u32(32) ?? 0,
                           incompatibleFeatures: version >= 3 ? (be.u64(72) ?? 0) : 0)
    }

    /// Why it is not booted, nil when it is.
    var problem: String? {
        guard version == 2 || version == 3 else { return "qcow2 version \(version): only versions 2 and 3 exist" }
        guard (9...21).contains(clusterBits) else { return "qcow2 cluster bits \(clusterBits) out of range (9 to 21)" }
        guard virtualSize > 0 else { return "qcow2 image with a virtual size of 0" }
        guard encryption == 0 else { return "encrypted qcow2 image (method \(encryption)): no key to boot it with" }
        guard backingFileOffset == 0 else {
            return "qcow2 image with a backing file: unitop boots self-contained images only (qemu-img convert flattens it)"
        }
        if incompatibleFeatures & 0b10 != 0 { return "qcow2 image marked corrupt" }
        if incompatibleFeatures & 0b100 != 0 { return "qcow2 image with an external data file: not booted" }
        if incompatibleFeatures & ~UInt64(0b11111) != 0 { return "qcow2 image with unknown incompatible features" }
        return nil
    }

    var summary: String {
        "qcow2 v\(version) header: \(Formatting.bytes(virtualSize)) virtual, \(1 << min(clusterBits, 31))-byte clusters"
            + (problem == nil ? ", no backing file: boots from the first disk" : "")
    }
}
