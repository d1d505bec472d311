#if canImport(Glibc)
import Glibc
#endif

/// Appends guest console output to `console.log`, rotating it to `console.log.1` when it would
/// exceed half of the cap, so the two files together stay under `maxBytes`.
final class ConsoleLogWriter {
    let path: String
    let previousPath: String
    /// Size at which the current file is rotated.
    let rotateAt: Int
    private var fd: Int32
    private(set) var size: Int

    init(path: String, previousPath: String, maxBytes: Int) throws {
        self.path = path
        self.previousPath = previousPath
        self.rotateAt = max(1024, maxBytes / 2)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileIO.posixError(path) }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Appends bytes (splitting across a rotation when needed). Errors are counted, not thrown:
    /// a full disk must not stop the guest.
    func append(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            if size >= rotateAt { rotate() }
            let n = min(bytes.count - off, rotateAt - size)
            let ok = FileIO.writeAll(fd, Array(bytes[off..<(off + n)]))
            if !ok { writeErrors += 1; return }
            size += n
            off += n
        }
    }

    private(set) var writeErrors = 0

    private func rotate() {
        // Rename first, then create the new file: a reader holding the old file sees every byte
        // written before the rename, and the new inode tells it to switch.
        _ = Glibc.close(fd)
        _ = rename(path, previousPath)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        size = 0
    }

    func close() { _ = Glibc.close(fd) }
}
