/// Section names of an ELF file, read within named bounds, to recognise what built it.
///
/// Only the section header table and the section-name string table are read: at most
/// ``maxSections`` entries and ``maxNameTableBytes`` of names. Anything out of bounds or
/// inconsistent gives no names, never a trap.
enum ELFSections {
    static let maxSections = 1024
    static let maxNameTableBytes = 256 * 1024

    /// Unikraft's linker scripts put its constructor, init and library-parameter tables in
    /// sections named `.uk_*` (`.uk_ctortab`, `.uk_inittab`, `.uk_thread_inittab`, …).
    static let unikraftPrefixes = [".uk_", "uk_"]

    /// The section names, or [] when the table cannot be read.
    static func names(in header: ELFHeader, source: some ImageByteSource) -> [String] {
        let is32 = header.elfClass == .elf32
        guard let ident = source.read(at: 0, count: is32 ? 52 : 64) else { return [] }
        let r = ByteReader(ident, bigEndian: header.bigEndian)
        let shoff: UInt64, shentsize: Int, shnum: Int, shstrndx: Int
        if is32 {
            shoff = UInt64(r.u32(32) ?? 0); shentsize = Int(r.u16(46) ?? 0)
            shnum = Int(r.u16(48) ?? 0); shstrndx = Int(r.u16(50) ?? 0)
        } else {
            shoff = r.u64(40) ?? 0; shentsize = Int(r.u16(58) ?? 0)
            shnum = Int(r.u16(60) ?? 0); shstrndx = Int(r.u16(62) ?? 0)
        }
        let minEntry = is32 ? 40 : 64
        guard shoff > 0, shnum > 0, shnum <= maxSections, shentsize >= minEntry, shentsize <= 256,
              shstrndx < shnum else { return [] }
        let tableSize = shentsize * shnum
        let (end, overflow) = shoff.addingReportingOverflow(UInt64(tableSize))
        guard !overflow, end <= source.size, let table = source.read(at: shoff, count: tableSize) else { return [] }
        let t = ByteReader(table, bigEndian: header.bigEndian)
        func entry(_ i: Int) -> (name: UInt32, offset: UInt64, size: UInt64)? {
            let base = i * shentsize
            if is32 {
                guard let n = t.u32(base), let off = t.u32(base + 16), let size = t.u32(base + 20) else { return nil }
                return (n, UInt64(off), UInt64(size))
            }
            guard let n = t.u32(base), let off = t.u64(base + 24), let size = t.u64(base + 32) else { return nil }
            return (n, off, size)
        }
        guard let strtab = entry(shstrndx), strtab.size > 0, strtab.size <= UInt64(maxNameTableBytes) else { return [] }
        let (strEnd, strOverflow) = strtab.offset.addingReportingOverflow(strtab.size)
        guard !strOverflow, strEnd <= source.size, let strings = source.read(at: strtab.offset, count: Int(strtab.size)) else {
            return []
        }
        var names: [String] = []
        for i in 0..<shnum {
            guard let e = entry(i), Int(e.name) < strings.count else { continue }
            let start = Int(e.name)
            let stop = strings[start...].firstIndex(of: 0) ?? strings.count
            guard stop - start <= 256 else { continue }
            names.append(String(decoding: strings[start..<stop], as: UTF8.self))
        }
        return names
    }

    /// True when a section name says Unikraft built the image.
    static func isUnikraft(_ names: [String]) -> Bool {
        names.contains { name in unikraftPrefixes.contains { name.hasPrefix($0) } }
    }
}
