import Foundation

extension ImageInspector {
    /// Inspects the file at `path` (relative paths are taken from the current directory) and
    /// loads its sidecar. Never throws and never blocks on special files: a directory, FIFO,
    /// device, dangling symlink, symlink loop or unreadable file gives `bootable == false` with
    /// a reason. Reads at most ``headerWindowBytes`` plus bounded ELF tables, whatever the size.
    public static func inspect(path: String) -> Image {
        let absolute = FileStatus.absolute(path)
        let fileName = absolute.split(separator: "/").last.map(String.init) ?? absolute
        var image = inspectFile(absolute: absolute, fileName: fileName)
        if image.reason != "no such file" {
            let sidecar = SidecarLoader.load(forImage: absolute)
            image.defaults = sidecar.defaults
            image.sidecarError = sidecar.error
        }
        return image
    }

    private static func inspectFile(absolute: String, fileName: String) -> Image {
        func problem(_ reason: String, size: UInt64 = 0, modified: Date? = nil) -> Image {
            let naming = ImageNaming(fileName: fileName)
            return Image(name: naming.name, path: absolute, format: .unknown, arch: naming.arch, sizeBytes: size,
                         modifiedAt: modified, bootable: false, reason: reason)
        }
        var st = stat()
        guard stat(absolute, &st) == 0 else {
            let err = errno
            var lst = stat()
            if err == ENOENT, lstat(absolute, &lst) == 0, FileStatus.isSymlink(lst) {
                return problem("dangling symlink (its target does not exist)")
            }
            return problem(FileStatus.describe(errno: err))
        }
        let modified = FileStatus.modificationDate(st)
        guard FileStatus.isRegular(st) else {
            if FileStatus.isDirectory(st) { return problem("is a directory", modified: modified) }
            return problem("not a regular file (\(FileStatus.kindName(st)))", modified: modified)
        }
        // O_NONBLOCK: if the file was swapped for a FIFO since stat, open must not wait for a writer.
        let fd = open(absolute, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return problem(FileStatus.describe(errno: errno), size: UInt64(max(st.st_size, 0)), modified: modified) }
        defer { close(fd) }
        var fst = stat()
        guard fstat(fd, &fst) == 0, FileStatus.isRegular(fst) else {
            return problem("not a regular file (\(FileStatus.kindName(fst)))", modified: modified)
        }
        let source = FileByteSource(fd: fd, size: UInt64(max(fst.st_size, 0)))
        var image = inspect(source: source, name: fileName, path: absolute, modifiedAt: modified)
        if let readError = source.firstError, image.bootable == false, image.format == .unknown {
            image.reason = "cannot read: \(readError)"
        }
        return image
    }
}
