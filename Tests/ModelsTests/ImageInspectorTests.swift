import Foundation
import Testing
@testable import Models
import UnitopTesting

/// Builds small image files byte by byte for the inspector tests.
enum Craft {
    static func put32(_ v: UInt32, into b: inout [UInt8], at: Int, bigEndian: Bool = false) {
        for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: bigEndian ? v >> (8 * (3 - i)) : v >> (8 * i)) }
    }
    static func put16(_ v: UInt16, into b: inout [UInt8], at: Int) {
        b[at] = UInt8(truncatingIfNeeded: v); b[at + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }
    static func put64(_ v: UInt64, into b: inout [UInt8], at: Int) {
        for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    struct Segment { var type: UInt32; var offset: UInt64; var size: UInt64 }

    /// A little-endian ELF of `size` bytes with program headers right after the ELF header.
    static func elf(
        is64: Bool = false, machine: UInt16 = 3, segments: [Segment] = [Segment(type: 1, offset: 0x1000, size: 0x100)],
        size: Int = 0x2000, phoff: UInt64? = nil, phnum: Int? = nil, phentsize: Int? = nil
    ) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: size)
        b[0] = 0x7F; b[1] = 0x45; b[2] = 0x4C; b[3] = 0x46
        b[4] = is64 ? 2 : 1; b[5] = 1; b[6] = 1
        put16(2, into: &b, at: 16)
        put16(machine, into: &b, at: 18)
        put32(1, into: &b, at: 20)
        let headerSize = is64 ? 64 : 52
        let entrySize = is64 ? 56 : 32
        let tableOffset = phoff ?? UInt64(headerSize)
        if is64 {
            put64(tableOffset, into: &b, at: 32)
            put16(UInt16(headerSize), into: &b, at: 52)
            put16(UInt16(phentsize ?? entrySize), into: &b, at: 54)
            put16(UInt16(phnum ?? segments.count), into: &b, at: 56)
        } else {
            put32(UInt32(tableOffset), into: &b, at: 28)
            put16(UInt16(headerSize), into: &b, at: 40)
            put16(UInt16(phentsize ?? entrySize), into: &b, at: 42)
            put16(UInt16(phnum ?? segments.count), into: &b, at: 44)
        }
        for (i, s) in segments.enumerated() {
            let at = headerSize + i * entrySize
            guard at + entrySize <= b.count else { break }
            if is64 {
                put32(s.type, into: &b, at: at)
                put64(s.offset, into: &b, at: at + 8)
                put64(s.size, into: &b, at: at + 32)
                put64(4, into: &b, at: at + 48)
            } else {
                put32(s.type, into: &b, at: at)
                put32(UInt32(s.offset), into: &b, at: at + 4)
                put32(UInt32(s.size), into: &b, at: at + 16)
                put32(4, into: &b, at: at + 28)
            }
        }
        return b
    }

    /// Writes a multiboot v1 header (magic, flags, checksum) at `at`.
    static func multibootV1(_ b: inout [UInt8], at: Int = 0x1000, flags: UInt32 = 0x3, goodChecksum: Bool = true) {
        let magic: UInt32 = 0x1BAD_B002
        put32(magic, into: &b, at: at)
        put32(flags, into: &b, at: at + 4)
        put32(0 &- (magic &+ flags) &+ (goodChecksum ? 0 : 1), into: &b, at: at + 8)
    }

    /// Writes a multiboot2 header (with its end tag) at `at`.
    static func multibootV2(_ b: inout [UInt8], at: Int = 0x1000, goodChecksum: Bool = true) {
        let magic: UInt32 = 0xE852_50D6, length: UInt32 = 24
        put32(magic, into: &b, at: at)
        put32(0, into: &b, at: at + 4)
        put32(length, into: &b, at: at + 8)
        put32(0 &- (magic &+ length) &+ (goodChecksum ? 0 : 1), into: &b, at: at + 12)
        put16(0, into: &b, at: at + 16); put16(0, into: &b, at: at + 18); put32(8, into: &b, at: at + 20)
    }

    /// Writes an ELF note "Xen" type 18 (PVH entry) at `at`; returns its size.
    @discardableResult
    static func pvhNote(_ b: inout [UInt8], at: Int, entry: UInt32 = 0x10_000C) -> Int {
        put32(4, into: &b, at: at); put32(4, into: &b, at: at + 4); put32(18, into: &b, at: at + 8)
        b[at + 12] = 0x58; b[at + 13] = 0x65; b[at + 14] = 0x6E; b[at + 15] = 0
        put32(entry, into: &b, at: at + 16)
        return 20
    }

    /// An ELF with a PT_LOAD and a PT_NOTE holding a GNU note then the PVH note.
    static func pvhELF(is64: Bool, machine: UInt16) -> [UInt8] {
        let noteAt = 0x800
        var b = elf(is64: is64, machine: machine, segments: [
            Segment(type: 1, offset: 0x1000, size: 0x100), Segment(type: 4, offset: UInt64(noteAt), size: 36),
        ])
        // A GNU build-id-like note first, so the walker has to step over it.
        put32(4, into: &b, at: noteAt); put32(0, into: &b, at: noteAt + 4); put32(3, into: &b, at: noteAt + 8)
        b[noteAt + 12] = 0x47; b[noteAt + 13] = 0x4E; b[noteAt + 14] = 0x55
        pvhNote(&b, at: noteAt + 16)
        return b
    }

    static func bzImage() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 4096)
        b[510] = 0x55; b[511] = 0xAA
        b[0x202] = 0x48; b[0x203] = 0x64; b[0x204] = 0x72; b[0x205] = 0x53
        put16(0x020F, into: &b, at: 0x206)
        put16(0x1, into: &b, at: 0x236)
        return b
    }

    static func mbr() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 1024)
        b[0] = 0xEB; b[1] = 0x3C; b[510] = 0x55; b[511] = 0xAA
        return b
    }

    static func qcow2() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 1024)
        b[0] = 0x51; b[1] = 0x46; b[2] = 0x49; b[3] = 0xFB
        put32(3 << 24, into: &b, at: 4)       // version 3 (big-endian)
        put32(16 << 24, into: &b, at: 20)     // 64 KiB clusters
        b[29] = 0x10                          // virtual size 1 MiB (big-endian u64 at 24)
        return b
    }

    /// A multiboot v1 ELF32 i386 image like the fixtures.
    static func multibootELF() -> [UInt8] {
        var b = elf()
        multibootV1(&b)
        return b
    }
}

/// A seeded generator so random-input tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5B9_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A temporary directory removed by `remove()`.
struct ScratchDirectory {
    let path: String
    init() throws {
        path = "/tmp/unitop-img-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
    @discardableResult
    func write(_ name: String, text: String) throws -> String { try write(name, Array(text.utf8)) }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct ImageInspectorBytesTests {
    func inspect(_ b: [UInt8], name: String = "test.elf", size: UInt64? = nil) -> Image {
        ImageInspector.inspect(bytes: b, fileSize: size, name: name, path: "/images/" + name)
    }

    @Test func multibootV1ELF32IsBootable() {
        let image = inspect(Craft.multibootELF())
        #expect(image.format == .multiboot)
        #expect(image.arch == "i386")
        #expect(image.bootable)
        #expect(image.reason == nil)
        #expect(image.name == "test")
        #expect(image.sizeBytes == 0x2000)
    }

    @Test func multibootV1BadChecksumIsNotMultiboot() {
        var b = Craft.elf()
        Craft.multibootV1(&b, goodChecksum: false)
        let image = inspect(b)
        #expect(image.format == .unknown)
        #expect(!image.bootable)
        #expect(image.reason == "multiboot header at 0x1000 has a bad checksum")
    }

    @Test func multibootV1BeyondEightKiBIsIgnored() {
        var b = Craft.elf(size: 0x4000)
        Craft.multibootV1(&b, at: 0x2000)
        #expect(inspect(b).format == .unknown)
        // QEMU scans offsets below 8192 - 48.
        var last = Craft.elf(size: 0x4000)
        Craft.multibootV1(&last, at: 8140)
        #expect(inspect(last).format == .multiboot)
        var tooLate = Craft.elf(size: 0x4000)
        Craft.multibootV1(&tooLate, at: 8144)
        #expect(inspect(tooLate).format == .unknown)
        var unaligned = Craft.elf()
        Craft.multibootV1(&unaligned, at: 0x1002)
        #expect(inspect(unaligned).format == .unknown)
    }

    @Test func multibootV1ELF64NeedsKludge() {
        var b = Craft.elf(is64: true, machine: 62)
        Craft.multibootV1(&b)
        let image = inspect(b)
        #expect(image.format == .multiboot)
        #expect(image.arch == "x86_64")
        #expect(!image.bootable)
        #expect(image.reason?.contains("32-bit ELF") == true)

        var kludge = Craft.elf(is64: true, machine: 62)
        Craft.multibootV1(&kludge, flags: 0x1_0003)
        let k = inspect(kludge)
        #expect(k.format == .multiboot)
        #expect(k.bootable)
    }

    @Test func multibootV1WithoutELFNeedsKludge() {
        var raw = [UInt8](repeating: 0x90, count: 4096)
        Craft.multibootV1(&raw, at: 0)
        let image = inspect(raw, name: "kernel.bin")
        #expect(image.format == .multiboot)
        #expect(!image.bootable)
        #expect(image.reason?.contains("a.out kludge") == true)
        #expect(image.name == "kernel")

        var kludge = [UInt8](repeating: 0x90, count: 4096)
        Craft.multibootV1(&kludge, at: 0, flags: 0x1_0000)
        let k = inspect(kludge)
        #expect(k.bootable)
        #expect(k.arch == "i386")
    }

    @Test func multibootV1ForOtherArchIsNotBootable() {
        var b = Craft.elf(machine: 40)
        Craft.multibootV1(&b)
        let image = inspect(b)
        #expect(image.arch == "arm")
        #expect(!image.bootable)
        #expect(image.reason?.contains("x86") == true)
    }

    @Test func multibootV2OnlyIsNotBootableByQEMU() {
        var b = Craft.elf()
        Craft.multibootV2(&b)
        let image = inspect(b)
        #expect(image.format == .multiboot)
        #expect(image.arch == "i386")
        #expect(!image.bootable)
        #expect(image.reason?.contains("multiboot2") == true)
    }

    @Test func multibootV2BadChecksum() {
        var b = Craft.elf()
        Craft.multibootV2(&b, goodChecksum: false)
        let image = inspect(b)
        #expect(image.format == .unknown)
        #expect(image.reason == "multiboot2 header at 0x1000 has a bad checksum")
    }

    @Test func multibootV2WithPVHNoteBootsThroughPVH() {
        var b = Craft.pvhELF(is64: false, machine: 3)
        Craft.multibootV2(&b)
        let image = inspect(b)
        #expect(image.format == .multiboot)
        #expect(image.bootable)
    }

    @Test func pvhNoteELF64() throws {
        let b = Craft.pvhELF(is64: true, machine: 62)
        let image = inspect(b)
        #expect(image.format == .pvh)
        #expect(image.arch == "x86_64")
        #expect(image.bootable)
        guard case .valid(let h) = ELFHeader.parse(MemoryByteSource(bytes: b)) else {
            Issue.record("not parsed as ELF"); return
        }
        #expect(ELFNotes.pvhEntry(in: h, source: MemoryByteSource(bytes: b)) == 0x10_000C)
    }

    @Test func pvhNoteWithWrongNameOrTypeIsIgnored() {
        var b = Craft.pvhELF(is64: false, machine: 3)
        b[0x800 + 16 + 12] = 0x59  // "Yen"
        #expect(inspect(b).format == .unknown)
        var t = Craft.pvhELF(is64: false, machine: 3)
        Craft.put32(17, into: &t, at: 0x800 + 16 + 8)
        #expect(inspect(t).format == .unknown)
        #expect(inspect(t).reason == "i386 ELF with no multiboot header, PVH note or Linux boot header")
    }

    @Test func pvhForAarch64IsNotBootable() {
        let image = inspect(Craft.pvhELF(is64: true, machine: 183))
        #expect(image.format == .pvh)
        #expect(image.arch == "aarch64")
        #expect(!image.bootable)
    }

    @Test func multibootWinsOverPVH() {
        var b = Craft.pvhELF(is64: false, machine: 3)
        Craft.multibootV1(&b)
        let image = inspect(b)
        #expect(image.format == .multiboot)
        #expect(image.bootable)
    }

    @Test func linuxBzImage() {
        let image = inspect(Craft.bzImage(), name: "bzImage")
        #expect(image.format == .linuxBzImage)
        #expect(image.arch == "x86_64")
        #expect(image.bootable)
        #expect(image.name == "bzImage")
    }

    @Test func rawDiskWithBootSignatureAndQcow2AreBootable() {
        let disk = inspect(Craft.mbr(), name: "disk.img")
        #expect(disk.format == .rawDisk)
        #expect(disk.bootable)
        #expect(disk.reason == nil)
        #expect(disk.diskCheck?.contains("55 AA") == true)
        #expect(disk.name == "disk")
        let q = inspect(Craft.qcow2(), name: "disk.qcow2")
        #expect(q.format == .qcow2)
        #expect(q.bootable, "\(q.reason ?? "")")
        #expect(q.diskCheck?.contains("qcow2 v3") == true)
        #expect(q.name == "disk.qcow2")
    }

    @Test func qcow2HeadersThatAreNotBooted() {
        func variant(_ edit: (inout [UInt8]) -> Void) -> Image {
            var b = Craft.qcow2(); edit(&b); return inspect(b, name: "d.qcow2")
        }
        #expect(variant { $0[7] = 9 }.reason?.contains("version 9") == true)
        #expect(variant { $0[23] = 40 }.reason?.contains("cluster bits") == true)
        #expect(variant { $0[29] = 0 }.reason?.contains("virtual size of 0") == true)
        #expect(variant { $0[35] = 1 }.reason?.contains("encrypted") == true)
        #expect(variant { $0[15] = 0x80 }.reason?.contains("backing file") == true)
        #expect(variant { $0[79] = 0b10 }.reason?.contains("corrupt") == true)
        #expect(variant { $0[79] = 0b100 }.reason?.contains("external data file") == true)
        for v in [variant { $0[7] = 9 }, variant { $0[35] = 1 }] { #expect(!v.bootable && v.format == .qcow2) }
    }

    @Test func emptyInput() {
        let image = inspect([])
        #expect(image.format == .unknown)
        #expect(image.reason == "empty file")
    }

    @Test func truncatedELFHeader() {
        let full = Craft.multibootELF()
        for cut in [4, 5, 16, 17, 30, 51] {
            let image = inspect(Array(full.prefix(cut)))
            #expect(!image.bootable)
            #expect(image.reason == "truncated ELF header", "cut at \(cut)")
        }
        // A 64-bit header cut after the machine field still reports the architecture.
        let elf64 = Craft.elf(is64: true, machine: 62)
        #expect(inspect(Array(elf64.prefix(40))).arch == "x86_64")
    }

    @Test func programHeadersBeyondEndOfFile() {
        var b = Craft.elf(phoff: 0x10_0000)
        Craft.multibootV1(&b)
        let image = inspect(b)
        #expect(image.format == .multiboot)
        #expect(!image.bootable)
        #expect(image.reason == "multiboot header, but ELF program headers lie beyond the end of the file")
        // Offset overflowing 64 bits.
        let wrap = Craft.elf(is64: true, machine: 62, phoff: UInt64.max - 8)
        #expect(inspect(wrap).reason == "ELF program headers lie beyond the end of the file")
    }

    @Test func hugeProgramHeaderCountAndBadEntrySize() {
        let huge = inspect(Craft.elf(phnum: 0xFFFF))
        #expect(huge.reason == "too many ELF program headers (65535, limit \(ELFHeader.maxProgramHeaders))")
        let bad = inspect(Craft.elf(phentsize: 4))
        #expect(bad.reason == "bad ELF program header size 4")
        let badClass = inspect({ var b = Craft.elf(); b[4] = 9; return b }())
        #expect(badClass.reason == "unknown ELF class 9")
    }

    @Test func hugeNoteSegmentIsBounded() {
        // A PT_NOTE claiming 4 GiB must not be read whole; the PVH note in its first bytes still counts.
        var b = Craft.elf(segments: [Craft.Segment(type: 1, offset: 0x1000, size: 16), Craft.Segment(type: 4, offset: 0x800, size: 0xFFFF_FFF0)], size: 0x11000)
        Craft.pvhNote(&b, at: 0x800)
        let image = inspect(b)
        #expect(image.format == .pvh)
        // Note sizes that run past the segment end the walk without a crash.
        var c = Craft.elf(segments: [Craft.Segment(type: 4, offset: 0x800, size: 64)])
        Craft.put32(0xFFFF_FFF0, into: &c, at: 0x800)
        Craft.put32(0xFFFF_FFF0, into: &c, at: 0x804)
        #expect(inspect(c).format == .unknown)
    }

    @Test func elfWithoutBootHeader() {
        let image = inspect(Craft.elf(is64: true, machine: 243))
        #expect(image.format == .unknown)
        #expect(image.arch == "riscv64")
        #expect(image.reason == "riscv64 ELF with \(ImageInspector.noBootHeaderReason)")
    }

    @Test func randomBytesNeverBootAndNeverCrash() {
        var rng = SplitMix64(state: 0x5EED)
        for round in 0..<300 {
            let count = Int.random(in: 0...9000, using: &rng)
            var b = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Sometimes plant magic so the deeper parsers run on garbage.
            if round % 3 == 0, b.count >= 4 { b[0] = 0x7F; b[1] = 0x45; b[2] = 0x4C; b[3] = 0x46 }
            if round % 5 == 0, b.count >= 0x300 { b[0x202] = 0x48; b[0x203] = 0x64; b[0x204] = 0x72; b[0x205] = 0x53 }
            let image = inspect(b)
            #expect(image.bootable == (image.reason == nil))
            if round % 5 != 0 { #expect(!image.bootable) }
        }
    }

    @Test func mutatedImagesKeepInvariants() {
        var rng = SplitMix64(state: 42)
        let bases = [Craft.multibootELF(), Craft.pvhELF(is64: true, machine: 62), Craft.bzImage()]
        for round in 0..<600 {
            var b = bases[round % bases.count]
            for _ in 0..<Int.random(in: 1...16, using: &rng) {
                let i = Int.random(in: 0..<min(b.count, 0x900), using: &rng)
                b[i] = UInt8.random(in: 0...255, using: &rng)
            }
            let image = inspect(b)
            #expect(image.bootable == (image.reason == nil))
            // Disk images boot through the firmware; their architecture is not known from the header.
            #expect(image.bootable ? ImageInspector.isX86(image.arch) || [.rawDisk, .qcow2].contains(image.format) : true)
        }
    }

    @Test func unikraftNames() {
        let a = ImageNaming(fileName: "nginx_qemu-x86_64")
        #expect(a.name == "nginx"); #expect(a.arch == "x86_64")
        let b = ImageNaming(fileName: "app-helloworld_kvm-arm64.img")
        #expect(b.name == "app-helloworld"); #expect(b.arch == "aarch64")
        let c = ImageNaming(fileName: "my_app")
        #expect(c.name == "my_app"); #expect(c.arch == nil)
        #expect(ImageNaming(fileName: "hello.elf").name == "hello")
        #expect(ImageNaming(fileName: "vmlinuz.kernel").name == "vmlinuz")
        #expect(ImageNaming(fileName: "notes.tar").name == "notes.tar")
        #expect(ImageNaming(fileName: ".elf").name == ".elf")
        #expect(ImageNaming(fileName: "x_qemu-sparc").arch == nil)
        // Unikraft wraps x86_64 kernels as ELF32 i386 for multiboot: the name's arch wins.
        let image = inspect(Craft.multibootELF(), name: "redis_qemu-x86_64")
        #expect(image.name == "redis")
        #expect(image.arch == "x86_64")
        #expect(image.bootable)
    }

    @Test func jsonHasContractFields() throws {
        let image = inspect(Craft.mbr(), name: "disk.img")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(image)) as? [String: Any])
        for key in ["name", "path", "format", "arch", "sizeBytes", "modifiedAt", "bootable", "reason"] {
            #expect(object.keys.contains(key), "missing \(key)")
        }
        #expect(object["format"] as? String == "raw-disk")
    }
}

/// The fixture unikernels, inspected from disk (they must be built: `make -C fixtures`).
@Suite struct ImageInspectorFixtureTests {
    static let names = ["hello", "flood", "exit", "panic", "idle", "sse"]

    @Test(arguments: names) func fixtureIsBootableMultiboot(name: String) throws {
        try #require(Fixtures.available, "fixtures not built: run make -C fixtures or set UNITOP_FIXTURES")
        let path = Fixtures.path(name)
        let image = ImageInspector.inspect(path: path)
        #expect(image.name == name)
        #expect(image.path == path)
        #expect(image.format == .multiboot)
        #expect(image.arch == "i386")
        #expect(image.bootable)
        #expect(image.reason == nil)
        #expect(image.sizeBytes > 0)
        #expect(image.modifiedAt != nil)
        #expect(image.sidecarError == nil)
        let defaults = try #require(image.defaults, "sidecar \(name).toml not loaded")
        #expect(defaults.memoryMiB != nil)
        #expect(defaults.description?.isEmpty == false)
    }

    @Test func helloCarriesAPVHNoteToo() throws {
        try #require(Fixtures.available, "fixtures not built")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hello"))))
        let source = MemoryByteSource(bytes: bytes)
        guard case .valid(let elf) = ELFHeader.parse(source) else { Issue.record("hello.elf is not valid ELF"); return }
        #expect(elf.elfClass == .elf32)
        #expect(ELFNotes.pvhEntry(in: elf, source: source) != nil)
        #expect(MultibootHeader.findV1(in: ByteReader(bytes)).header != nil)
        // The pure core agrees with the file path.
        let fromBytes = ImageInspector.inspect(bytes: bytes, name: "hello.elf", path: Fixtures.path("hello"))
        #expect(fromBytes.format == .multiboot && fromBytes.bootable)
    }

    @Test func helloSidecarValues() throws {
        try #require(Fixtures.available, "fixtures not built")
        let image = ImageInspector.inspect(path: Fixtures.path("hello"))
        #expect(image.defaults?.memoryMiB == 64)
        #expect(image.defaults?.cpus == 1)
        #expect(image.defaults?.machine == "pc")
    }
}

/// The inspector on real files of every awkward kind.
@Suite struct ImageInspectorFileTests {
    @Test func craftedFilesOnDisk() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let mb = try dir.write("mb.elf", Craft.multibootELF())
        let image = ImageInspector.inspect(path: mb)
        #expect(image.format == .multiboot && image.bootable)
        #expect(image.name == "mb")
        #expect(image.defaults == nil && image.sidecarError == nil)
        #expect(ImageInspector.inspect(path: try dir.write("bz", Craft.bzImage())).format == .linuxBzImage)
        #expect(ImageInspector.inspect(path: try dir.write("pvh.elf", Craft.pvhELF(is64: true, machine: 62))).format == .pvh)
        #expect(ImageInspector.inspect(path: try dir.write("disk.img", Craft.mbr())).format == .rawDisk)
        #expect(ImageInspector.inspect(path: try dir.write("d.qcow2", Craft.qcow2())).format == .qcow2)
    }

    @Test func relativePathBecomesAbsolute() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let abs = try dir.write("rel.elf", Craft.multibootELF())
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + abs.dropFirst()
        let image = ImageInspector.inspect(path: relative)
        #expect(image.path == abs)
        #expect(image.bootable)
    }

    @Test func emptyFile() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let image = ImageInspector.inspect(path: try dir.write("empty.elf", []))
        #expect(!image.bootable)
        #expect(image.reason == "empty file")
        #expect(image.sizeBytes == 0)
    }

    @Test func truncatedELFFile() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let image = ImageInspector.inspect(path: try dir.write("cut.elf", Array(Craft.multibootELF().prefix(40))))
        #expect(image.reason == "truncated ELF header")
        var beyond = Craft.elf(phoff: 0x1_0000_0000 - 64)
        Craft.multibootV1(&beyond)
        let b = ImageInspector.inspect(path: try dir.write("beyond.elf", beyond))
        #expect(b.reason?.contains("beyond the end of the file") == true)
    }

    @Test func directory() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let image = ImageInspector.inspect(path: dir.path)
        #expect(!image.bootable)
        #expect(image.reason == "is a directory")
    }

    @Test func danglingSymlinkAndLoop() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/dangling.elf", withDestinationPath: dir.path + "/missing")
        let d = ImageInspector.inspect(path: dir.path + "/dangling.elf")
        #expect(!d.bootable)
        #expect(d.reason == "dangling symlink (its target does not exist)")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/a", withDestinationPath: dir.path + "/b")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/b", withDestinationPath: dir.path + "/a")
        let loop = ImageInspector.inspect(path: dir.path + "/a")
        #expect(!loop.bootable)
        #expect(loop.reason == "symlink loop")
        let missing = ImageInspector.inspect(path: dir.path + "/nothing-here")
        #expect(missing.reason == "no such file")
    }

    @Test func symlinkToImageIsInspected() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let target = try dir.write("real.elf", Craft.multibootELF())
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/alias.elf", withDestinationPath: target)
        try dir.write("real.toml", text: "cpus = 3\n")
        let image = ImageInspector.inspect(path: dir.path + "/alias.elf")
        #expect(image.bootable)
        #expect(image.name == "alias")
        #expect(image.path == dir.path + "/alias.elf")
        // No sidecar next to the link: the target's sidecar is used.
        #expect(image.defaults?.cpus == 3)
        try dir.write("alias.toml", text: "cpus = 4\n")
        #expect(ImageInspector.inspect(path: dir.path + "/alias.elf").defaults?.cpus == 4)
    }

    @Test func pathThroughAFileFails() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let file = try dir.write("plain", [1, 2, 3])
        let image = ImageInspector.inspect(path: file + "/x.elf")
        #expect(!image.bootable)
        #expect(image.reason == "a path component is not a directory")
    }

    @Test func unreadableFile() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = try dir.write("locked.elf", Craft.multibootELF())
        #expect(chmod(path, 0) == 0)
        let image = ImageInspector.inspect(path: path)
        if geteuid() == 0 {
            // Root reads mode-000 files: the image is still inspected.
            #expect(image.bootable)
        } else {
            #expect(!image.bootable)
            #expect(image.reason == "permission denied")
        }
    }

    @Test func fifoDoesNotBlock() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.path + "/pipe.elf"
        #expect(mkfifo(path, 0o600) == 0)
        let image = ImageInspector.inspect(path: path)
        #expect(!image.bootable)
        #expect(image.reason == "not a regular file (fifo)")
    }

    @Test func characterDevices() {
        let null = ImageInspector.inspect(path: "/dev/null")
        #expect(null.reason == "not a regular file (character device)")
        let zero = ImageInspector.inspect(path: "/dev/zero")
        #expect(!zero.bootable)
    }

    @Test func sparseEightGiBFileIsReadOnlyAtTheStart() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = try dir.write("huge.elf", Craft.multibootELF())
        let fd = open(path, O_WRONLY)
        try #require(fd >= 0)
        #expect(ftruncate(fd, 8 << 30) == 0)
        close(fd)
        let image = ImageInspector.inspect(path: path)
        #expect(image.sizeBytes == 8 << 30)
        #expect(image.format == .multiboot)
        #expect(image.bootable)
        let zeros = try dir.write("zeros.img", [])
        #expect(truncate(zeros, 8 << 30) == 0)
        let z = ImageInspector.inspect(path: zeros)
        #expect(z.format == .unknown)
        #expect(z.reason == ImageInspector.noBootHeaderReason)
    }

    @Test func sidecarNextToImage() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = try dir.write("app.elf", Craft.multibootELF())
        try dir.write("app.toml", text: """
            memory = "128M"
            cpus = 2
            machine = "microvm"
            append = "console=ttyS0 verbose"
            description = "an app"
            """)
        let image = ImageInspector.inspect(path: path)
        #expect(image.defaults == ImageDefaults(memoryMiB: 128, cpus: 2, machine: "microvm", append: "console=ttyS0 verbose", description: "an app"))
        #expect(image.sidecarError == nil)
    }

    @Test func sidecarWithFullNameAndIntegerMemory() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = try dir.write("web_qemu-x86_64", Craft.multibootELF())
        try dir.write("web_qemu-x86_64.toml", text: "memory = 256\n")
        let image = ImageInspector.inspect(path: path)
        #expect(image.name == "web")
        #expect(image.defaults?.memoryMiB == 256)
    }

    @Test func malformedSidecars() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let cases: [(String, String)] = [
            ("cpus = 1\nmemory = = 3\n", ":2: "),
            ("cpus = 0\n", ":1: 'cpus' must be between 1 and 64, not 0"),
            ("cpus = 65\n", ":1: 'cpus' must be between 1 and 64, not 65"),
            ("\n\nmemory = \"lots\"\n", ":3: 'memory': invalid memory size 'lots'"),
            ("memory = true\n", ":1: 'memory' must be a size"),
            ("machine = \"q99\"\n", ":1: 'machine' must be pc, q35 or microvm, not 'q99'"),
            ("cpus = 1\nmemroy = \"64M\"\n", ":2: unknown key 'memroy'"),
            ("append = 5\n", ":1: 'append' must be a string, not an integer"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = try dir.write("img\(i).elf", Craft.multibootELF())
            try dir.write("img\(i).toml", text: text)
            let image = ImageInspector.inspect(path: path)
            #expect(image.defaults == nil)
            let error = try #require(image.sidecarError, "no error for \(text)")
            #expect(error.hasPrefix(dir.path + "/img\(i).toml:"), "\(error)")
            #expect(error.contains(expected), "\(error) should contain \(expected)")
            #expect(image.bootable, "a bad sidecar does not make the image unbootable")
        }
    }

    @Test func sidecarThatIsNotAFile() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = try dir.write("x.elf", Craft.multibootELF())
        #expect(mkfifo(dir.path + "/x.toml", 0o600) == 0)
        let image = ImageInspector.inspect(path: path)
        #expect(image.sidecarError == dir.path + "/x.toml: not a regular file (fifo)")
        let big = try dir.write("y.elf", Craft.multibootELF())
        try dir.write("y.toml", text: String(repeating: "# padding\n", count: 10_000))
        #expect(ImageInspector.inspect(path: big).sidecarError?.contains("larger than 64 KiB") == true)
        try dir.write("z.elf", Craft.multibootELF())
        try dir.write("z.toml", [0x63, 0x70, 0x75, 0x73, 0x3D, 0xFF, 0x0A])
        #expect(ImageInspector.inspect(path: dir.path + "/z.elf").sidecarError == dir.path + "/z.toml:1: not valid UTF-8")
    }
}

/// The fuzzers' seed files (Fuzz/corpus/image, written by Fuzz/corpus/make-seeds.py) are what
/// their names say, so the fuzzer starts from every format.
@Suite struct ImageInspectorCorpusTests {
    @Test func seedsAreWhatTheySay() throws {
        let dir = Fixtures.repositoryRoot.appendingPathComponent("Fuzz/corpus/image").path
        let expected: [String: (ImageFormat, Bool)] = [
            "multiboot-elf32": (.multiboot, true), "multiboot-elf64-kludge": (.multiboot, true),
            "multiboot2-elf32": (.multiboot, false), "pvh-elf64": (.pvh, true),
            "multiboot-pvh-elf32": (.multiboot, true), "bzimage-header": (.linuxBzImage, true),
            "mbr": (.rawDisk, true), "qcow2": (.qcow2, true), "elf-truncated": (.unknown, false),
            "elf-huge-phnum": (.unknown, false), "empty": (.unknown, false),
        ]
        for (name, (format, bootable)) in expected {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            #expect(bytes.count <= 4096, "seed \(name) should stay small")
            let image = bytes.withUnsafeBytes { ImageInspector.inspect(bytes: $0, name: name, path: dir + "/" + name) }
            #expect(image.format == format, "\(name)")
            #expect(image.bootable == bootable, "\(name): \(image.reason ?? "")")
        }
    }
}
