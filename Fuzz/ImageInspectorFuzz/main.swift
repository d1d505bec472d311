// libFuzzer target for the image inspector's byte-level core. Build: Fuzz/build.sh image
//
// Checks invariants on every input: no trap, `bootable` iff no reason, bootable images are x86,
// and the prefix-only mode (file larger than the bytes seen) behaves too.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageInspector(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = UnsafeRawBufferPointer(start: data, count: size)
    check(ImageInspector.inspect(bytes: buffer, name: "fuzz.elf", path: "/fuzz/fuzz.elf"))
    // The same bytes as the prefix of a much larger (sparse) file.
    check(ImageInspector.inspect(bytes: buffer, fileSize: UInt64(size) + (1 << 33), name: "fuzz", path: "/fuzz/fuzz"))
    // File names from the input exercise the Unikraft name parser.
    let name = String(decoding: buffer.prefix(64), as: UTF8.self)
    let naming = ImageNaming(fileName: name)
    if naming.name.isEmpty && !name.isEmpty && naming.arch == nil { fatalError("empty display name for '\(name)'") }
    return 0
}

private func check(_ image: Image) {
    if image.bootable != (image.reason == nil) { fatalError("bootable=\(image.bootable) but reason=\(String(describing: image.reason))") }
    let disk = image.format == .rawDisk || image.format == .qcow2
    // Kernels must be x86; disk images boot through the firmware, their architecture unknown.
    if image.bootable && !disk && image.arch != "x86_64" && image.arch != "i386" {
        fatalError("bootable image with arch \(String(describing: image.arch))")
    }
    if image.bootable && image.format == .unknown { fatalError("bootable unknown image") }
    if disk != (image.diskCheck != nil) { fatalError("\(image.format) image with diskCheck \(String(describing: image.diskCheck))") }
}
