/// The parts of an ELF file header and its program headers that image inspection needs.
///
/// Parsing is bounded: the program header table is read only when it lies inside the file
/// and has at most ``maxProgramHeaders`` entries.
struct ELFHeader: Equatable {
    /// Program header tables with more entries than this are refused as malformed.
    static let maxProgramHeaders = 128

    enum Class: Equatable { case elf32, elf64 }

    /// One program header (only the fields inspection uses).
    struct ProgramHeader: Equatable {
        static let typeLoad: UInt32 = 1
        static let typeNote: UInt32 = 4
        var type: UInt32
        var offset: UInt64
        var fileSize: UInt64
        var align: UInt64
    }

    /// What the bytes turned out to be.
    enum Parse: Equatable {
        /// Not an ELF file (no `\x7fELF` magic).
        case notELF
        /// ELF magic, but the header is unusable; `arch` when the machine field was readable.
        case malformed(reason: String, arch: String?)
        case valid(ELFHeader)
    }

    var elfClass: Class
    var bigEndian: Bool
    var machine: UInt16
    var programHeaders: [ProgramHeader]

    /// `x86_64`, `i386`, `aarch64`, … for the machine field.
    var arch: String { Self.archName(machine: machine, elfClass: elfClass) }
    var isX86: Bool { machine == 3 || machine == 62 }

    static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    static func parse(_ source: some ImageByteSource) -> Parse {
        guard let ident = source.read(at: 0, count: Int(min(source.size, 16))),
              ByteReader(ident).matches(magic, at: 0)
        else { return .notELF }
        guard ident.count == 16 else { return .malformed(reason: "truncated ELF header", arch: nil) }
        let elfClass: Class
        switch ident[4] {
        case 1: elfClass = .elf32
        case 2: elfClass = .elf64
        default: return .malformed(reason: "unknown ELF class \(ident[4])", arch: nil)
        }
        let bigEndian: Bool
        switch ident[5] {
        case 1: bigEndian = false
        case 2: bigEndian = true
        default: return .malformed(reason: "unknown ELF data encoding \(ident[5])", arch: nil)
        }
        let headerSize = elfClass == .elf32 ? 52 : 64
        guard let headerBytes = source.read(at: 0, count: headerSize) else {
            // Report the machine when at least that much is there.
            let partial = source.read(at: 0, count: 20).flatMap { ByteReader($0, bigEndian: bigEndian).u16(18) }
            return .malformed(reason: "truncated ELF header",
                              arch: partial.map { archName(machine: $0, elfClass: elfClass) })
        }
        let r = ByteReader(headerBytes, bigEndian: bigEndian)
        let machine = r.u16(18) ?? 0
        let arch = archName(machine: machine, elfClass: elfClass)
        let phoff: UInt64, phentsize: Int, phnum: Int
        if elfClass == .elf32 {
            phoff = UInt64(r.u32(28) ?? 0); phentsize = Int(r.u16(42) ?? 0); phnum = Int(r.u16(44) ?? 0)
        } else {
            phoff = r.u64(32) ?? 0; phentsize = Int(r.u16(54) ?? 0); phnum = Int(r.u16(56) ?? 0)
        }
        var header = ELFHeader(elfClass: elfClass, bigEndian: bigEndian, machine: machine, programHeaders: [])
        if phnum == 0 { return .valid(header) }
        let minEntry = elfClass == .elf32 ? 32 : 56
        guard phentsize >= minEntry else {
            return .malformed(reason: "bad ELF program header size \(phentsize)", arch: arch)
        }
        guard phnum <= maxProgramHeaders else {
            return .malformed(reason: "too many ELF program headers (\(phnum), limit \(maxProgramHeaders))", arch: arch)
        }
        let tableSize = UInt64(phentsize * phnum)
        let (end, overflow) = phoff.addingReportingOverflow(tableSize)
        guard !overflow, end <= source.size else {
            return .malformed(reason: "ELF program headers lie beyond the end of the file", arch: arch)
        }
        guard let table = source.read(at: phoff, count: Int(tableSize)) else {
            return .malformed(reason: "ELF program headers could not be read", arch: arch)
        }
        let t = ByteReader(table, bigEndian: bigEndian)
        for i in 0..<phnum {
            let base = i * phentsize
            let ph: ProgramHeader?
            if elfClass == .elf32 {
                ph = t.u32(base).flatMap { type in
                    t.u32(base + 4).flatMap { off in
                        t.u32(base + 16).flatMap { fsz in
                            t.u32(base + 28).map { al in
                                ProgramHeader(type: type, offset: UInt64(off), fileSize: UInt64(fsz), align: UInt64(al))
                            }
                        }
                    }
                }
            } else {
                ph = t.u32(base).flatMap { type in
                    t.u64(base + 8).flatMap { off in
                        t.u64(base + 32).flatMap { fsz in
                            t.u64(base + 48).map { al in
                                ProgramHeader(type: type, offset: off, fileSize: fsz, align: al)
                            }
                        }
                    }
                }
            }
            guard let ph else { return .malformed(reason: "truncated ELF program header table", arch: arch) }
            header.programHeaders.append(ph)
        }
        return .valid(header)
    }

    /// Architecture name for an ELF `e_machine` value.
    static func archName(machine: UInt16, elfClass: Class) -> String {
        switch machine {
        case 2: return "sparc"
        case 3: return "i386"
        case 8: return "mips"
        case 20: return "ppc"
        case 21: return "ppc64"
        case 22: return "s390x"
        case 40: return "arm"
        case 43: return "sparc64"
        case 62: return "x86_64"
        case 183: return "aarch64"
        case 243: return elfClass == .elf64 ? "riscv64" : "riscv32"
        case 258: return "loongarch64"
        default: return "elf-machine-\(machine)"
        }
    }
}
