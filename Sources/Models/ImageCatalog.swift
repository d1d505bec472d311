import Foundation

/// The images in the image directories.
///
/// A directory is listed non-recursively: regular files and symlinks to regular files, except
/// hidden files, `*.toml` (sidecars), `*.dbg` (Unikraft debug images) and `*.o`. At most
/// ``maxFilesPerDirectory`` files are taken from one directory. A file reachable twice (same
/// real path, e.g. through a symlink or a directory listed twice) is listed once.
public struct ImageCatalog: Sendable {
    /// Files taken from one directory at most.
    public static let maxFilesPerDirectory = 10_000
    /// Directory entries looked at in one directory at most (skipped ones included).
    public static let maxEntriesPerDirectory = 100_000
    /// Extensions (lower case) that are never images.
    public static let skippedExtensions: Set<String> = ["toml", "dbg", "o"]

    /// Directories in priority order (the first wins when two hold the same name).
    public var directories: [String]

    public init(directories: [String]) { self.directories = directories }

    /// The default search order: the images directory, then the configured directories, then
    /// `extra` (e.g. `--dir`), without duplicates.
    public static func defaultDirectories(paths: UnitopPaths, config: Config, extra: [String]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for dir in [paths.imagesDirectory] + config.imageDirectories + extra where seen.insert(dir).inserted {
            out.append(dir)
        }
        return out
    }

    /// Every image file found (non-bootable ones included, with their reason), sorted by name;
    /// equal names keep directory order (the one ``resolve(_:)`` picks comes first).
    public func scan() -> [Image] {
        candidates().enumerated()
            .map { (order: $0.offset, image: ImageInspector.inspect(path: $0.element)) }
            .sorted { $0.image.name != $1.image.name ? $0.image.name < $1.image.name : $0.order < $1.order }
            .map(\.image)
    }

    /// An image by path or by catalogued name.
    ///
    /// - Anything containing `/` is a path (relative to the current directory or absolute).
    /// - A bare word naming an existing file in the current directory is that file.
    /// - Otherwise the word is looked up in the catalog by display name (`hello`) or file name
    ///   (`hello.elf`); when several directories hold it, the first directory wins.
    /// - Failing all that, an existing directory of that name is inspected (not bootable, with
    ///   its reason), and anything else throws ``UnitopError/imageNotFound(_:)``.
    public func resolve(_ nameOrPath: String) throws(UnitopError) -> Image {
        guard !nameOrPath.isEmpty else { throw .imageNotFound(nameOrPath) }
        var st = stat()
        let exists = lstat(nameOrPath, &st) == 0
        if nameOrPath.contains("/") {
            guard exists else { throw .imageNotFound(nameOrPath) }
            return ImageInspector.inspect(path: nameOrPath)
        }
        var target = stat()
        let isDirectory = exists && stat(nameOrPath, &target) == 0 && FileStatus.isDirectory(target)
        if exists && !isDirectory { return ImageInspector.inspect(path: nameOrPath) }
        for path in candidates() {
            let fileName = String(path[path.index(after: path.lastIndex(of: "/") ?? path.startIndex)...])
            if fileName == nameOrPath || ImageNaming(fileName: fileName).name == nameOrPath {
                return ImageInspector.inspect(path: path)
            }
        }
        if exists { return ImageInspector.inspect(path: nameOrPath) }
        throw .imageNotFound(nameOrPath)
    }

    /// Paths of candidate image files: directories in order, each sorted by file name,
    /// duplicates (same real path) dropped.
    func candidates() -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for dir in directories {
            for path in Self.listDirectory(FileStatus.absolute(dir)) {
                let key = realPath(path) ?? path
                if seen.insert(key).inserted { out.append(path) }
            }
        }
        return out
    }

    /// Whether a directory entry name can be an image by its name alone.
    public static func isCandidateName(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix(".") else { return false }
        if let dot = name.lastIndex(of: ".") {
            let ext = name[name.index(after: dot)...].lowercased()
            if skippedExtensions.contains(ext) { return false }
        }
        return true
    }

    /// Candidate files of one directory (at most `limit`), sorted by name.
    static func listDirectory(_ dir: String, limit: Int = maxFilesPerDirectory) -> [String] {
        guard let handle = opendir(dir) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        var looked = 0
        while looked < maxEntriesPerDirectory, names.count < limit, let entry = readdir(handle) {
            looked += 1
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(decoding: bytes, as: UTF8.self)
            }
            guard isCandidateName(name) else { continue }
            var st = stat()
            guard stat(dir + "/" + name, &st) == 0, FileStatus.isRegular(st) else { continue }
            names.append(name)
        }
        return names.sorted().map { dir + "/" + $0 }
    }

    private func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
