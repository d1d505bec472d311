/// A multiboot (v1) or multiboot2 header found in an image's first bytes.
struct MultibootHeader: Equatable {
    enum Version: Equatable { case v1, v2 }

    /// Multiboot v1 magic (`0x1BADB002`), searched 4-byte aligned.
    static let v1Magic: UInt32 = 0x1BAD_B002
    /// The v1 header must lie in the first 8 KiB; like QEMU (`i < 8192 - 48`), it must start
    /// before ``v1SearchLimit`` minus ``v1HeaderRoom`` (the 48-byte header with all fields).
    static let v1SearchLimit = 8192
    static let v1HeaderRoom = 48
    /// Flag bit 16: the header carries load addresses (the "a.out kludge"), so the file need not be ELF.
    static let v1AoutKludgeFlag: UInt32 = 1 << 16
    /// Multiboot2 magic (`0xE85250D6`), searched 8-byte aligned in the first 32 KiB.
    static let v2Magic: UInt32 = 0xE852_50D6
    static let v2SearchLimit = 32768

    var version: Version
    /// Byte offset in the file.
    var offset: Int
    /// v1: the flags word; v2: the architecture word (0 = i386, 4 = MIPS32).
    var flagsOrArchitecture: UInt32

    var hasAoutKludge: Bool { version == .v1 && flagsOrArchitecture & Self.v1AoutKludgeFlag != 0 }

    /// The outcome of a search: a valid header, only magic with a bad checksum, or nothing.
    enum Search: Equatable {
        case found(MultibootHeader)
        case badChecksum(offset: Int)
        case none

        var header: MultibootHeader? { if case .found(let h) = self { return h } else { return nil } }
    }

    /// Searches `window` (the file's first bytes) for a multiboot v1 header as QEMU does.
    static func findV1(in window: ByteReader) -> Search {
        let limit = min(v1SearchLimit - v1HeaderRoom - 4, window.count - 12)
        guard limit >= 0 else { return .none }
        var bad: Int?
        for at in stride(from: 0, through: limit, by: 4) where window.u32(at) == v1Magic {
            guard let flags = window.u32(at + 4), let sum = window.u32(at + 8) else { continue }
            if v1Magic &+ flags &+ sum == 0 {
                return .found(MultibootHeader(version: .v1, offset: at, flagsOrArchitecture: flags))
            }
            if bad == nil { bad = at }
        }
        return bad.map { .badChecksum(offset: $0) } ?? .none
    }

    /// Searches `window` for a multiboot2 header (magic, architecture, length, checksum).
    static func findV2(in window: ByteReader) -> Search {
        let limit = min(v2SearchLimit, window.count) - 16
        guard limit >= 0 else { return .none }
        var bad: Int?
        for at in stride(from: 0, through: limit, by: 8) where window.u32(at) == v2Magic {
            guard let arch = window.u32(at + 4), let length = window.u32(at + 8),
                  let sum = window.u32(at + 12)
            else { continue }
            let fits = length >= 16 && UInt64(at) + UInt64(length) <= UInt64(v2SearchLimit)
            if fits, v2Magic &+ arch &+ length &+ sum == 0 {
                return .found(MultibootHeader(version: .v2, offset: at, flagsOrArchitecture: arch))
            }
            if bad == nil { bad = at }
        }
        return bad.map { .badChecksum(offset: $0) } ?? .none
    }
}
