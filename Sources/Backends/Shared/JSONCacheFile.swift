import Foundation

/// A private cache kept as one JSON file in the state directory (the content hashes of uploaded
/// files, the facts of libvirt domains): read bounded, written atomically, best effort both ways.
/// A file that is missing, too large, not a regular file or not decodable reads as nil (the cache
/// is rebuilt); one that cannot be written only costs recomputing next time.
enum JSONCacheFile {
    /// The decoded contents of `path`, or nil.
    static func load<Value: Decodable>(_ type: Value.Type, from path: String, maxBytes: Int) -> Value? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size <= maxBytes,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maxBytes + 1), data.count <= maxBytes else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    /// Writes `value` to `path` (mode 0600, its directory 0700) through a temporary file and a rename.
    static func save<Value: Encodable>(_ value: Value, to path: String) {
        guard let data = try? JSONEncoder().encode(value) else { return }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(tmp, path) != 0 { _ = unlink(tmp) }
    }
}
