import CSHA256
import Foundation
import Models
import Synchronization

/// SHA-256 of local files, remembered by (path, size, modification time, inode, device) in a
/// small JSON file of the state directory, so a second `run` of an unchanged big image does not
/// read it again.
///
/// Hashing streams the file in ``chunkBytes`` pieces (bounded memory). The cache holds at most
/// ``maxEntries`` files (the least recently used are dropped); a damaged or oversized cache file
/// is ignored and rewritten.
final class ContentHashCache: Sendable {
    static let chunkBytes = 256 << 10
    static let maxEntries = 256
    /// A cache file larger than this is not read.
    static let maxFileBytes = 1 << 20

    /// What identifies one version of a file without reading it.
    struct FileKey: Codable, Equatable, Sendable {
        var size: UInt64
        var mtimeNanos: Int64
        var inode: UInt64
        var device: UInt64

        init(_ st: stat) {
            size = UInt64(max(0, st.st_size))
            mtimeNanos = Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec)
            inode = UInt64(st.st_ino)
            device = UInt64(st.st_dev)
        }
    }

    private struct Entry: Codable {
        var key: FileKey
        var sha256: String
        var usedAt: Date
    }

    let file: String
    private let entries = Mutex<[String: Entry]?>(nil)

    /// `file`: the cache's JSON file (its directory is created when first written).
    init(file: String) { self.file = file }

    /// The SHA-256 (lower-case hex) of the file open as `fd` at `path` with status `st`: from the
    /// cache when `path` had the same key, else read through `fd` and remembered.
    /// - Returns: the hash and whether it came from the cache.
    func sha256(fd: Int32, path: String, status st: stat) throws -> (hex: String, cached: Bool) {
        let key = FileKey(st)
        if let hit = lookup(path, key) { return (hit, true) }
        let hex = try Self.sha256(fd: fd, size: key.size, path: path)
        remember(path, Entry(key: key, sha256: hex, usedAt: Date()))
        return (hex, false)
    }

    /// Streams `size` bytes of `fd` from offset 0 through SHA-256.
    static func sha256(fd: Int32, size: UInt64, path: String) throws -> String {
        guard let hasher = unitop_sha256_new() else { throw UnitopError.failed("cannot hash \(path): libcrypto has no SHA-256") }
        defer { unitop_sha256_free(hasher) }
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        var offset: UInt64 = 0
        while offset < size {
            let want = Int(min(UInt64(chunkBytes), size - offset))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw UnitopError.io(path: path, message: n == 0 ? "file shrank while it was read" : String(cString: strerror(errno)))
            }
            guard buffer.withUnsafeBytes({ unitop_sha256_update(hasher, $0.baseAddress, n) }) == 0 else {
                throw UnitopError.failed("cannot hash \(path): libcrypto failed")
            }
            offset += UInt64(n)
        }
        var digest = [UInt8](repeating: 0, count: 32)
        guard unitop_sha256_final(hasher, &digest) == 0 else { throw UnitopError.failed("cannot hash \(path): libcrypto failed") }
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    private func lookup(_ path: String, _ key: FileKey) -> String? {
        entries.withLock { e in
            if e == nil { e = load() }
            guard var hit = e?[path], hit.key == key else { return nil }
            hit.usedAt = Date()
            e?[path] = hit
            return hit.sha256
        }
    }

    private func remember(_ path: String, _ entry: Entry) {
        let snapshot: [String: Entry] = entries.withLock { e in
            var all = e ?? load()
            all[path] = entry
            if all.count > Self.maxEntries {
                let keep = all.sorted { $0.value.usedAt > $1.value.usedAt }.prefix(Self.maxEntries)
                all = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
            e = all
            return all
        }
        save(snapshot)
    }

    private func load() -> [String: Entry] {
        JSONCacheFile.load([String: Entry].self, from: file, maxBytes: Self.maxFileBytes) ?? [:]
    }

    /// Best effort: a cache that cannot be written only costs a re-hash next time.
    private func save(_ all: [String: Entry]) {
        JSONCacheFile.save(all, to: file)
    }
}
