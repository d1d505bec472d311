import Foundation

/// Checks the files a launch names besides its image (initrd, shared folders, disks) before
/// anything starts, and reads a disk's format from its bytes. These files are untrusted: they
/// are opened without blocking, never followed into special files, and only their first bytes
/// are read; every problem is one clear error naming the file.
public enum WorkloadFiles {
    /// Most of each kind a launch may have.
    public static let maxPorts = 32
    public static let maxVolumes = 16
    public static let maxDisks = 8
    public static let maxApplicationArguments = 64
    /// Header bytes read to decide a disk's format.
    public static let diskHeaderBytes = 512

    /// An initrd: an existing, readable, non-empty regular file.
    public static func checkInitrd(_ path: String) throws(UnitopError) -> String {
        let absolute = FileStatus.absolute(path)
        _ = try readHeader(absolute, what: "initrd", count: 1)
        return absolute
    }

    /// A shared folder: an existing directory.
    public static func checkVolume(_ volume: VolumeMount) throws(UnitopError) -> VolumeMount {
        var st = stat()
        guard stat(volume.hostPath, &st) == 0 else {
            throw .invalidArgument("volume '\(volume.tag)': \(volume.hostPath): \(FileStatus.describe(errno: errno))")
        }
        guard FileStatus.isDirectory(st) else {
            throw .invalidArgument("volume '\(volume.tag)': \(volume.hostPath) is not a directory (\(FileStatus.kindName(st)))")
        }
        var checked = volume
        checked.hostPath = FileStatus.absolute(volume.hostPath)
        return checked
    }

    /// A disk: an existing, readable regular file; raw or qcow2 from its bytes.
    public static func checkDisk(path: String, readOnly: Bool) throws(UnitopError) -> DiskAttachment {
        let absolute = FileStatus.absolute(path)
        let header = try readHeader(absolute, what: "disk", count: diskHeaderBytes)
        let format = diskFormat(header: header)
        // A qcow2 header names other files (a backing file, an external data file) that QEMU
        // would open for the guest: only self-contained images are attached.
        if format == .qcow2, let problem = QCOW2Header.parse(ByteReader(header))?.problem {
            throw .invalidArgument("disk \(absolute): \(problem)")
        }
        return DiskAttachment(path: absolute, format: format, readOnly: readOnly)
    }

    /// qcow2 when the bytes start with its magic (`QFI\xfb`), else raw.
    public static func diskFormat(header: [UInt8]) -> DiskFormat {
        header.count >= 4 && header[0] == 0x51 && header[1] == 0x46 && header[2] == 0x49 && header[3] == 0xFB ? .qcow2 : .raw
    }

    /// The first `count` bytes (fewer for a shorter file) of a regular, non-empty file.
    static func readHeader(_ path: String, what: String, count: Int) throws(UnitopError) -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .invalidArgument("\(what) \(path): \(FileStatus.describe(errno: errno))") }
        guard FileStatus.isRegular(st) else {
            throw .invalidArgument("\(what) \(path): not a regular file (\(FileStatus.kindName(st)))")
        }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw .invalidArgument("\(what) \(path): \(FileStatus.describe(errno: errno))") }
        defer { close(fd) }
        var fst = stat()
        guard fstat(fd, &fst) == 0, FileStatus.isRegular(fst) else {
            throw .invalidArgument("\(what) \(path): not a regular file")
        }
        guard fst.st_size > 0 else { throw .invalidArgument("\(what) \(path): empty file") }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        guard n > 0 else { throw .invalidArgument("\(what) \(path): cannot read: \(FileStatus.describe(errno: errno))") }
        return Array(buffer.prefix(n))
    }
}
