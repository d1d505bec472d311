/// Finds the Xen PVH entry note (`XEN_ELFNOTE_PHYS32_ENTRY`, name "Xen", type 18) in an ELF
/// file's `PT_NOTE` segments, as QEMU's `-kernel` PVH loader does. Bounded by named limits.
enum ELFNotes {
    /// Note segments larger than this are read only up to this size.
    static let maxSegmentBytes = 64 * 1024
    /// At most this many `PT_NOTE` segments are examined.
    static let maxNoteSegments = 16
    /// At most this many notes are walked per segment.
    static let maxNotesPerSegment = 512
    /// `XEN_ELFNOTE_PHYS32_ENTRY`.
    static let xenPhys32EntryType: UInt32 = 18
    static let xenName: [UInt8] = [0x58, 0x65, 0x6E, 0x00]  // "Xen\0"

    /// The 32-bit PVH entry address, or nil when there is no such note.
    static func pvhEntry(in elf: ELFHeader, source: some ImageByteSource) -> UInt64? {
        let notes = elf.programHeaders.filter { $0.type == ELFHeader.ProgramHeader.typeNote }
        for ph in notes.prefix(maxNoteSegments) {
            let count = Int(min(ph.fileSize, UInt64(maxSegmentBytes)))
            guard count >= 12, ph.offset < source.size, count <= source.size - ph.offset,
                  let bytes = source.read(at: ph.offset, count: count)
            else { continue }
            if let entry = findXenEntry(ByteReader(bytes, bigEndian: elf.bigEndian), align: ph.align == 8 ? 8 : 4) {
                return entry
            }
        }
        return nil
    }

    private static func findXenEntry(_ r: ByteReader, align: Int) -> UInt64? {
        var at = 0
        var walked = 0
        while walked < maxNotesPerSegment, let nameSize = r.u32(at), let descSize = r.u32(at + 4),
              let type = r.u32(at + 8) {
            walked += 1
            let nameStart = at + 12
            guard let nameEnd = padded(nameStart, Int(nameSize), align: align),
                  let descEnd = padded(nameEnd, Int(descSize), align: align)
            else { return nil }
            if type == xenPhys32EntryType, nameSize == 4, r.matches(xenName, at: nameStart) {
                if descSize == 4, let v = r.u32(nameEnd) { return UInt64(v) }
                if descSize == 8, let v = r.u64(nameEnd) { return v }
            }
            guard descEnd > at else { return nil }
            at = descEnd
        }
        return nil
    }

    /// `start + size` rounded up to `align`, or nil on overflow or absurd sizes.
    private static func padded(_ start: Int, _ size: Int, align: Int) -> Int? {
        guard size >= 0, size <= maxSegmentBytes else { return nil }
        let end = start + size
        return (end + align - 1) / align * align
    }
}
