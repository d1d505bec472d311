import CLibvirt
import Foundation
import Models

/// Images travel: on a host that is not this machine, local files a guest needs (kernel or boot
/// disk, initrd, `--disk` files) are uploaded into the host's `unitop` pool
/// (``LibvirtStoragePool``), keyed by content.
///
/// - The volume is `<first 16 hex digits of SHA-256>-<file name>`; when it exists with the file's
///   size it is used as it is (a second start of the same image uploads nothing). The hash of a
///   local file is remembered by (path, size, mtime, inode) in `STATE/content-hashes.json`.
/// - An upload goes to a temporary volume (`….partial-XXXXXXXX`) in ``LibvirtVolumes/chunkBytes``
///   stream sends, ``uploadSliceBytes`` per connection call (other calls on the connection are
///   not held up for a whole image), then becomes the content-keyed volume by a copy on the host:
///   a concurrent start never boots a half-uploaded volume. A failed upload is aborted and its
///   temporary volume deleted; one left by a unitop that was killed mid-upload stays in the pool
///   (not listed as an image) until deleted by hand (`virsh vol-delete`). A file that changes
///   while it is uploaded is refused.
/// - Writable files are never shared between guests: a boot disk and each writable `--disk` are
///   copied on the host (no second upload) to `unitop-NAME.boot` / `unitop-NAME.diskN`, removed
///   with the instance. Their writes stay on the host (the local file is not changed). Kernels,
///   initrds and read-only disks use the shared volume.
/// - A path that is not a file here is taken as a path on the host (as before).
extension LibvirtBackend {
    /// Bytes sent per connection call during an upload.
    static let uploadSliceBytes: UInt64 = 4 << 20

    /// A local file now on the host.
    struct HostFile: Sendable {
        /// Content-keyed volume name.
        var volume: String
        /// Its path on the host.
        var path: String
        var bytes: UInt64
        /// Whether this call uploaded it (false: it was there).
        var uploaded: Bool
    }

    /// Calls `handler` (file, host label, bytes) each time a local file starts uploading to the
    /// host (not when the host has it already): for a progress line.
    public func onUploadStart(_ handler: @escaping @Sendable (_ file: String, _ host: String, _ bytes: UInt64) -> Void) {
        state.withLock { $0.uploadNotice = handler }
    }

    /// The pool's directory on the host (creating the pool on first use).
    func hostPoolDirectory() async throws -> String {
        let uri = parsed
        return try await connection.call { c in
            let opened = try LibvirtStoragePool.open(c, uri: uri)
            virStoragePoolFree(opened.pool)
            return opened.directory
        }
    }

    /// The remote placement of `spec`: every local file on the host, the console log in the pool.
    func remotePlacement(for spec: LaunchSpec) async throws -> Placement {
        let dir = try await hostPoolDirectory()
        let prefix = Self.instanceVolumePrefix(spec.name)
        try await deleteHostVolumes(Self.instanceVolumeNames(spec.name))
        var place = Placement(kernelPath: spec.imagePath, kernelCopy: nil, logPath: dir + "/" + prefix + ".console.log")
        do {
            if spec.bootDiskFormat != nil {
                place.bootDiskPath = spec.imagePath
                if let f = try await storeOnHost(spec.imagePath, what: "disk image") {
                    place.bootDiskPath = try await copyOnHost(f.volume, to: prefix + ".boot", place: &place)
                }
            } else if let f = try await storeOnHost(spec.imagePath, what: "image") {
                place.kernelPath = f.path
            }
            if let initrd = spec.initrd {
                place.initrdPath = try await storeOnHost(initrd, what: "initrd")?.path ?? initrd
            }
            var disks = spec.disks
            for (i, d) in spec.disks.enumerated() {
                guard let f = try await storeOnHost(d.path, what: "disk") else { continue }
                disks[i].path = d.readOnly ? f.path
                    : try await copyOnHost(f.volume, to: prefix + ".disk\(i)", place: &place)
            }
            place.disks = disks
        } catch {
            await removeHostCopies(place)
            throw error
        }
        return place
    }

    /// `unitop-NAME`: the start of every per-instance volume name.
    static func instanceVolumePrefix(_ name: String) -> String { "unitop-" + name }

    /// Every per-instance volume `name` may have: its console log and virtlogd's backups of it,
    /// the boot disk copy and the writable disk copies.
    static func instanceVolumeNames(_ name: String) -> [String] {
        let p = instanceVolumePrefix(name)
        return [p + ".console.log", p + ".boot"]
            + (0..<ConsoleLogFollower.maxBackups).map { "\(p).console.log.\($0)" }
            + (0..<WorkloadFiles.maxDisks).map { "\(p).disk\($0)" }
    }

    /// Copies the volume `source` to the per-instance volume `name` on the host; returns its path.
    func copyOnHost(_ source: String, to name: String, place: inout Placement) async throws -> String {
        let uri = parsed, host = self.host
        let path: String = try await connection.call { c in
            let opened = try LibvirtStoragePool.open(c, uri: uri)
            defer { virStoragePoolFree(opened.pool) }
            guard let src = LibvirtVolumes.lookup(opened.pool, source) else {
                throw UnitopError.failed("volume \(source) vanished from pool '\(LibvirtStoragePool.name)' on \(host)")
            }
            defer { virStorageVolFree(src) }
            LibvirtVolumes.delete(opened.pool, name)
            let v = try LibvirtVolumes.clone(opened.pool, name: name, from: src, host: host)
            defer { virStorageVolFree(v) }
            guard let p = LibvirtVolumes.path(v) else { throw UnitopError.failed("volume \(name) on \(host) has no path") }
            return p
        }
        place.copies.append(path)
        return path
    }

    /// Deletes the host volumes unitop copied for a start that did not happen.
    func removeHostCopies(_ place: Placement) async {
        let names = place.copies.map { ($0 as NSString).lastPathComponent }
        guard !names.isEmpty else { return }
        try? await deleteHostVolumes(names)
    }

    /// Deletes the named volumes of the pool that exist (after a refresh, so files libvirt did not
    /// create, such as virtlogd's logs, are known).
    func deleteHostVolumes(_ names: [String]) async throws {
        let uri = parsed
        try await connection.call { c in
            let opened = try LibvirtStoragePool.open(c, uri: uri)
            defer { virStoragePoolFree(opened.pool) }
            _ = virStoragePoolRefresh(opened.pool, 0)
            let present = try LibvirtVolumes.names(opened.pool)
            for n in names where present.contains(n) && !LibvirtVolumes.delete(opened.pool, n) {
                LibvirtBackend.log.warning("cannot delete volume", metadata: ["volume": "\(n)", "error": "\(LibvirtErrors.last().message)"])
            }
        }
    }

    /// Puts the local file `localPath` into the pool (see the extension's documentation); nil when
    /// there is no such file here (the path is then one on the host).
    func storeOnHost(_ localPath: String, what: String) async throws -> HostFile? {
        let fd = open(localPath, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw UnitopError.io(path: localPath, message: "cannot read the \(what) to upload it: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw UnitopError.io(path: localPath, message: "the \(what) is not a regular file")
        }
        let size = UInt64(max(0, st.st_size))
        let status = st
        let (hex, cached) = try await Self.offPool { [hashes] in try hashes.sha256(fd: fd, path: localPath, status: status) }
        let volume = Self.volumeName(sha256: hex, fileName: (localPath as NSString).lastPathComponent)
        let found = try await existingVolume(volume, size: size)
        state.withLock { $0.uploadChecks += 1 }
        if let found {
            Self.log.debug("image already on host", metadata: ["volume": "\(volume)", "host": "\(host)", "hashCached": "\(cached)"])
            return HostFile(volume: volume, path: found, bytes: size, uploaded: false)
        }
        state.withLock { $0.uploadNotice }?(localPath, host, size)
        let t0 = ContinuousClock.now
        let path = try await upload(fd: fd, size: size, as: volume, what: "\(what) \(localPath)")
        var after = stat()
        if fstat(fd, &after) != 0 || ContentHashCache.FileKey(after) != ContentHashCache.FileKey(st) {
            try? await deleteHostVolumes([volume])
            throw UnitopError.io(path: localPath, message: "the \(what) changed while it was uploaded; run again")
        }
        let took = ContinuousClock.now - t0
        state.withLock { $0.uploads += 1 }
        Self.log.info("uploaded image", metadata: [
            "file": "\(localPath)", "volume": "\(volume)", "host": "\(host)", "bytes": "\(size)",
            "seconds": "\(String(format: "%.3f", took.milliseconds / 1000))",
        ])
        return HostFile(volume: volume, path: path, bytes: size, uploaded: true)
    }

    /// The host path of volume `name` when it exists with `size` bytes; a volume of another size
    /// (a damaged earlier upload) is deleted.
    private func existingVolume(_ name: String, size: UInt64) async throws -> String? {
        let uri = parsed
        return try await connection.call { c in
            let opened = try LibvirtStoragePool.open(c, uri: uri)
            defer { virStoragePoolFree(opened.pool) }
            guard let v = LibvirtVolumes.lookup(opened.pool, name) else { return nil }
            defer { virStorageVolFree(v) }
            if LibvirtVolumes.size(v) == size, let p = LibvirtVolumes.path(v) { return p }
            _ = virStorageVolDelete(v, 0)
            return nil
        }
    }

    /// Uploads `size` bytes of `fd` to a temporary volume, then copies it to `name` on the host.
    private func upload(fd: Int32, size: UInt64, as name: String, what: String) async throws -> String {
        let uri = parsed, host = self.host
        let partial = name + ".partial-" + UUID().uuidString.prefix(8).lowercased()
        let stream: LibvirtPointer = try await connection.call { c in
            let opened = try LibvirtStoragePool.open(c, uri: uri)
            defer { virStoragePoolFree(opened.pool) }
            let v = try LibvirtVolumes.create(opened.pool, name: partial, bytes: size, host: host)
            defer { virStorageVolFree(v) }
            do {
                return LibvirtPointer(raw: try LibvirtVolumes.beginUpload(c, v, length: size, what: what))
            } catch {
                _ = virStorageVolDelete(v, 0)
                throw error
            }
        }
        do {
            var offset: UInt64 = 0
            while offset < size {
                let count = min(Self.uploadSliceBytes, size - offset)
                let at = offset
                try await connection.call { _ in
                    var buffer = [UInt8](repeating: 0, count: LibvirtVolumes.chunkBytes)
                    try LibvirtVolumes.send(stream.raw, fd: fd, offset: at, count: count, buffer: &buffer, what: what)
                }
                offset += count
            }
            try await connection.call { _ in try LibvirtVolumes.finish(stream.raw, what: what) }
        } catch {
            try? await connection.call { _ in LibvirtVolumes.abort(stream.raw) }
            try? await deleteHostVolumes([partial])
            throw error
        }
        return try await connection.call { c in
            let opened = try LibvirtStoragePool.open(c, uri: uri)
            defer { virStoragePoolFree(opened.pool) }
            guard let src = LibvirtVolumes.lookup(opened.pool, partial) else {
                throw UnitopError.failed("uploaded volume \(partial) vanished on \(host)")
            }
            defer { _ = virStorageVolDelete(src, 0); virStorageVolFree(src) }
            let v: OpaquePointer
            do {
                v = try LibvirtVolumes.clone(opened.pool, name: name, from: src, host: host)
            } catch {
                // Another unitop finished the same upload first: its volume is complete.
                guard let other = LibvirtVolumes.lookup(opened.pool, name) else { throw error }
                guard LibvirtVolumes.size(other) == size else { virStorageVolFree(other); throw error }
                v = other
            }
            defer { virStorageVolFree(v) }
            guard let p = LibvirtVolumes.path(v) else { throw UnitopError.failed("volume \(name) on \(host) has no path") }
            return p
        }
    }

    /// `<first 16 hex digits>-<file name>`, the name made of `A-Z a-z 0-9 . _ -` (others become
    /// `_`, a leading dot too) and cut to 100 bytes keeping its extension.
    static func volumeName(sha256 hex: String, fileName: String) -> String {
        var safe = String(fileName.unicodeScalars.map { s -> Character in
            let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "." || s == "_" || s == "-"
            return ok ? Character(s) : "_"
        })
        if safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
        if safe.isEmpty { safe = "image" }
        if safe.count > 100 {
            let ext = safe.lastIndex(of: ".").map { String(safe[$0...]) } ?? ""
            safe = String(safe.prefix(100 - min(ext.count, 20))) + String(ext.prefix(20))
        }
        return String(hex.prefix(16)) + "-" + safe
    }

    /// Runs blocking work (hashing a big file) on a global queue, not a cooperative thread.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async { cont.resume(with: Result { try work() }) }
        }
    }
}
