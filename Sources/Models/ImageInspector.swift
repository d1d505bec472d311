import Foundation

/// Detects an image's boot format, architecture and whether `qemu-system-x86_64 -kernel` can
/// boot it, from a bounded prefix of its bytes.
///
/// The byte-level core (``inspect(source:name:path:modifiedAt:)`` and the `bytes:` variants)
/// is pure and never reads beyond named limits; ``inspect(path:)`` adds the file system
/// (see `ImageInspector+File.swift`). Nothing here throws or traps on hostile input: problems
/// become `bootable == false` with a reason.
///
/// Format precedence: multiboot > pvh > linux-bzimage > qcow2 > raw-disk > unknown.
public enum ImageInspector {
    /// Bytes read from the start of a file for header detection (multiboot, bzImage, MBR, qcow2, ELF header).
    public static let headerWindowBytes = 64 * 1024

    /// Reason given when no boot header of any kind was found.
    public static let noBootHeaderReason = "no multiboot header, PVH note or Linux boot header"

    /// Inspects in-memory bytes: the first `bytes.count` bytes of a file of `fileSize` bytes
    /// (default: exactly `bytes`). `name` is the file name; the display name is derived from it.
    public static func inspect(
        bytes: [UInt8], fileSize: UInt64? = nil, name: String, path: String, modifiedAt: Date? = nil
    ) -> Image {
        inspect(source: MemoryByteSource(bytes: bytes, size: fileSize), name: name, path: path, modifiedAt: modifiedAt)
    }

    /// Inspects raw memory (the fuzzer's entry point); see ``inspect(bytes:fileSize:name:path:modifiedAt:)``.
    public static func inspect(
        bytes: UnsafeRawBufferPointer, fileSize: UInt64? = nil, name: String, path: String, modifiedAt: Date? = nil
    ) -> Image {
        inspect(bytes: Array(bytes), fileSize: fileSize, name: name, path: path, modifiedAt: modifiedAt)
    }

    /// Inspects any byte source. `name` is the file name (last path component).
    public static func inspect(source: some ImageByteSource, name: String, path: String, modifiedAt: Date? = nil) -> Image {
        let naming = ImageNaming(fileName: name)
        var image = Image(name: naming.name, path: path, format: .unknown, arch: naming.arch,
                          sizeBytes: source.size, modifiedAt: modifiedAt, bootable: false, reason: nil)
        guard source.size > 0 else {
            image.reason = "empty file"
            return image
        }
        let windowBytes = source.read(at: 0, count: Int(min(source.size, UInt64(headerWindowBytes)))) ?? []
        let facts = Facts(source: source, window: ByteReader(windowBytes))
        let verdict = facts.verdict()
        image.format = verdict.format
        image.arch = verdict.arch ?? naming.arch
        // Unikraft's x86_64 kernels are wrapped as ELF32 i386 for the multiboot loader: the name knows better.
        if naming.arch == "x86_64", verdict.arch == "i386" { image.arch = "x86_64" }
        image.bootable = verdict.reason == nil
        image.reason = verdict.reason
        image.diskCheck = verdict.diskCheck
        if let h = facts.elfHeader { image.unikraft = ELFSections.isUnikraft(ELFSections.names(in: h, source: source)) }
        return image
    }

    static func isX86(_ arch: String?) -> Bool { arch == "x86_64" || arch == "i386" }

    static func archReason(_ arch: String) -> String {
        "\(arch) image: unitop boots x86 guests only (qemu-system-x86_64)"
    }

    /// Everything detected in one file, and the rules that turn it into a verdict.
    struct Facts {
        var elf: ELFHeader.Parse
        var multibootV1: MultibootHeader.Search
        var multibootV2: MultibootHeader.Search
        var pvhEntry: UInt64?
        var linuxBoot: Bool
        var linuxArch: String
        var qcow2: QCOW2Header?
        var bootSignature: Bool

        init(source: some ImageByteSource, window: ByteReader) {
            elf = ELFHeader.parse(source)
            multibootV1 = MultibootHeader.findV1(in: window)
            multibootV2 = MultibootHeader.findV2(in: window)
            if case .valid(let h) = elf { pvhEntry = ELFNotes.pvhEntry(in: h, source: source) }
            linuxBoot = window.matches(Array("HdrS".utf8), at: 0x202)
            // xloadflags (boot protocol 2.12+) bit 0: the kernel has a 64-bit entry point.
            let protocolVersion = window.u16(0x206) ?? 0
            let xloadflags = protocolVersion >= 0x020C ? (window.u16(0x236) ?? 0) : 0
            linuxArch = xloadflags & 1 != 0 ? "x86_64" : "i386"
            qcow2 = QCOW2Header.parse(window)
            bootSignature = window.matches([0x55, 0xAA], at: 510)
        }

        var elfHeader: ELFHeader? { if case .valid(let h) = elf { return h } else { return nil } }
        var elfArch: String? {
            switch elf {
            case .valid(let h): return h.arch
            case .malformed(_, let arch): return arch
            case .notELF: return nil
            }
        }
        var elfProblem: String? { if case .malformed(let r, _) = elf { return r } else { return nil } }

        struct Verdict: Equatable {
            var format: ImageFormat
            var arch: String?
            /// nil when bootable.
            var reason: String?
            /// What was checked of a disk image.
            var diskCheck: String?
        }

        func verdict() -> Verdict {
            if let mb = multibootV1.header { return multibootV1Verdict(mb) }
            if let mb = multibootV2.header {
                let arch = elfArch ?? (mb.flagsOrArchitecture == 0 ? "i386" : mb.flagsOrArchitecture == 4 ? "mips32" : nil)
                if pvhEntry != nil, isX86(arch) { return Verdict(format: .multiboot, arch: arch, reason: nil) }
                return Verdict(format: .multiboot, arch: arch, reason:
                    "multiboot2 header only: QEMU's -kernel loader boots multiboot v1, PVH and Linux images")
            }
            if pvhEntry != nil {
                let arch = elfArch
                return Verdict(format: .pvh, arch: arch, reason: isX86(arch) ? nil : archReason(arch ?? "unknown"))
            }
            if linuxBoot { return Verdict(format: .linuxBzImage, arch: linuxArch, reason: nil) }
            if let q = qcow2 { return Verdict(format: .qcow2, arch: nil, reason: q.problem, diskCheck: q.summary) }
            if bootSignature {
                return Verdict(format: .rawDisk, arch: nil, reason: nil,
                               diskCheck: "MBR boot signature 55 AA at byte 510: boots from the first disk")
            }
            return Verdict(format: .unknown, arch: elfArch, reason: unknownReason())
        }

        private func multibootV1Verdict(_ mb: MultibootHeader) -> Verdict {
            if mb.hasAoutKludge {
                // QEMU loads the file by the header's addresses and enters it in 32-bit mode.
                let arch = elfArch ?? "i386"
                return Verdict(format: .multiboot, arch: arch, reason: isX86(arch) ? nil : archReason(arch))
            }
            guard let h = elfHeader else {
                if let problem = elfProblem {
                    return Verdict(format: .multiboot, arch: elfArch, reason: "multiboot header, but \(problem)")
                }
                return Verdict(format: .multiboot, arch: "i386", reason:
                    "multiboot header without the a.out kludge flag (bit 16) in a file that is not ELF")
            }
            if h.machine == 62 || h.elfClass == .elf64 {
                return Verdict(format: .multiboot, arch: h.arch, reason:
                    "64-bit ELF with a multiboot v1 header: QEMU's multiboot loader needs a 32-bit ELF "
                    + "(or the a.out kludge flag, bit 16)")
            }
            guard h.isX86 else { return Verdict(format: .multiboot, arch: h.arch, reason: archReason(h.arch)) }
            guard h.programHeaders.contains(where: { $0.type == ELFHeader.ProgramHeader.typeLoad }) else {
                return Verdict(format: .multiboot, arch: h.arch, reason: "multiboot ELF has no loadable segment")
            }
            return Verdict(format: .multiboot, arch: h.arch, reason: nil)
        }

        private func unknownReason() -> String {
            if case .badChecksum(let at) = multibootV1 {
                return "multiboot header at 0x\(String(at, radix: 16)) has a bad checksum"
            }
            if case .badChecksum(let at) = multibootV2 {
                return "multiboot2 header at 0x\(String(at, radix: 16)) has a bad checksum"
            }
            if let problem = elfProblem { return problem }
            if let h = elfHeader { return "\(h.arch) ELF with \(noBootHeaderReason)" }
            return noBootHeaderReason
        }
    }
}
