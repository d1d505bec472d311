import CLibvirt
import Foundation
import Models

/// Storage volume operations of the libvirt C API, on the connection's queue: lookup, create,
/// clone, delete, and byte transfer over a `virStream` (upload from a local file descriptor,
/// download of a byte range into a bounded buffer). C pointers stay inside the backend.
enum LibvirtVolumes {
    /// Bytes per `virStreamSend` / `virStreamRecv`.
    static let chunkBytes = 256 << 10
    /// Largest range ``download(_:_:offset:length:)`` reads in one call.
    static let maxDownloadBytes = 1 << 20

    /// A volume as unitop lists it.
    struct Listed: Sendable {
        var name: String
        var path: String
        /// Logical size (a file's size in a `dir` pool).
        var sizeBytes: UInt64
    }

    /// The volume `name` of `pool` (free it), nil when there is none.
    static func lookup(_ pool: OpaquePointer, _ name: String) -> OpaquePointer? {
        virStorageVolLookupByName(pool, name)
    }

    /// The size of `v`'s file (refreshed from the file for `dir` pools), nil when libvirt cannot
    /// say. The physical size, not the capacity: libvirt probes the format of a pool's files, and
    /// a qcow2 image (or a console log whose guest printed a qcow2 header) has the virtual size as
    /// its capacity. Libvirt before 3.0 has no physical size: the capacity then.
    static func size(_ v: OpaquePointer) -> UInt64? {
        var info = virStorageVolInfo()
        if virStorageVolGetInfoFlags(v, &info, UInt32(VIR_STORAGE_VOL_GET_PHYSICAL.rawValue)) == 0 {
            return UInt64(info.allocation)
        }
        guard virStorageVolGetInfo(v, &info) == 0 else { return nil }
        return UInt64(info.capacity)
    }

    /// The format libvirt has for `v` (`raw`, `qcow2`, … as probed at the pool's last refresh).
    static func format(_ v: OpaquePointer) -> String? {
        guard let raw = virStorageVolGetXMLDesc(v, 0) else { return nil }
        defer { free(raw) }
        return format(inXML: String(cString: raw))
    }

    /// `<target>…<format type='X'/>` of a volume's XML (bounded; letters and digits only).
    static func format(inXML xml: String) -> String? {
        let text = String(decoding: xml.utf8.prefix(LibvirtStoragePool.maxXMLBytes), as: UTF8.self)
        guard let target = text.range(of: "<target>"),
              let f = text.range(of: "<format type=", range: target.upperBound..<text.endIndex) else { return nil }
        let value = text[f.upperBound...].dropFirst().prefix { $0 != "'" && $0 != "\"" }
        guard !value.isEmpty, value.count <= 16, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return String(value)
    }

    /// The path of `v` on the libvirt host.
    static func path(_ v: OpaquePointer) -> String? {
        guard let raw = virStorageVolGetPath(v) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    static func name(_ v: OpaquePointer) -> String? {
        virStorageVolGetName(v).map { String(cString: $0) }
    }

    /// The XML of a volume of `bytes` bytes in `format` (`raw`, `qcow2`), readable by the QEMU
    /// user (mode 0644).
    static func volumeXML(name: String, bytes: UInt64, format: String = "raw") -> String {
        "<volume><name>\(XMLEscaping.escape(name))</name><capacity unit='bytes'>\(bytes)</capacity>"
            + "<target><format type='\(XMLEscaping.escape(format))'/><permissions><mode>0644</mode></permissions></target></volume>"
    }

    /// Creates an empty raw volume of `bytes` bytes (free it).
    static func create(_ pool: OpaquePointer, name: String, bytes: UInt64, host: String) throws -> OpaquePointer {
        guard let v = virStorageVolCreateXML(pool, volumeXML(name: name, bytes: bytes), 0) else {
            throw UnitopError.failed("cannot create volume \(name) on \(host): \(LibvirtErrors.last().message)")
        }
        return v
    }

    /// Copies `source` to a new volume `name` on the host itself (no upload; free it), in the
    /// format libvirt has for `source`: libvirt copies a raw volume byte for byte and converts
    /// between differing formats, so same in and out keeps the content as the guest reads it.
    static func clone(_ pool: OpaquePointer, name: String, from source: OpaquePointer, host: String) throws -> OpaquePointer {
        let xml = volumeXML(name: name, bytes: size(source) ?? 0, format: format(source) ?? "raw")
        guard let v = virStorageVolCreateXMLFrom(pool, xml, source, 0) else {
            throw UnitopError.failed("cannot copy volume \(name) on \(host): \(LibvirtErrors.last().message)")
        }
        return v
    }

    /// Deletes the volume `name` of `pool` when it exists; false when it exists and cannot be deleted.
    @discardableResult
    static func delete(_ pool: OpaquePointer, _ name: String) -> Bool {
        guard let v = virStorageVolLookupByName(pool, name) else { return true }
        defer { virStorageVolFree(v) }
        return virStorageVolDelete(v, 0) == 0
    }

    /// The names of the volumes of `pool` (one round trip: names are read locally).
    static func names(_ pool: OpaquePointer) throws -> Set<String> {
        var vols: UnsafeMutablePointer<OpaquePointer?>?
        let n = virStoragePoolListAllVolumes(pool, &vols, 0)
        guard n >= 0 else { throw UnitopError.failed("cannot list the volumes of pool '\(LibvirtStoragePool.name)': \(LibvirtErrors.last().message)") }
        defer { free(vols) }
        var out = Set<String>()
        for i in 0..<Int(n) {
            guard let v = vols?[i] else { continue }
            if let name = name(v) { out.insert(name) }
            virStorageVolFree(v)
        }
        return out
    }

    /// Every volume of `pool` (one call for the list, then local accessors and one info call each).
    static func list(_ pool: OpaquePointer) throws -> [Listed] {
        var vols: UnsafeMutablePointer<OpaquePointer?>?
        let n = virStoragePoolListAllVolumes(pool, &vols, 0)
        guard n >= 0 else { throw UnitopError.failed("cannot list the volumes of pool '\(LibvirtStoragePool.name)': \(LibvirtErrors.last().message)") }
        defer { free(vols) }
        var out: [Listed] = []
        for i in 0..<Int(n) {
            guard let v = vols?[i] else { continue }
            defer { virStorageVolFree(v) }
            guard let name = name(v), let path = path(v) else { continue }
            out.append(Listed(name: name, path: path, sizeBytes: size(v) ?? 0))
        }
        return out
    }

    // MARK: - Streams

    /// Starts uploading `length` bytes into `v` from offset 0; returns the stream (finish or abort it).
    static func beginUpload(_ c: OpaquePointer, _ v: OpaquePointer, length: UInt64, what: String) throws -> OpaquePointer {
        guard let st = virStreamNew(c, 0) else { throw UnitopError.failed("cannot upload \(what): \(LibvirtErrors.last().message)") }
        guard virStorageVolUpload(v, st, 0, length, 0) == 0 else {
            let why = LibvirtErrors.last().message
            virStreamFree(st)
            throw UnitopError.failed("cannot upload \(what): \(why)")
        }
        return st
    }

    /// Sends `count` bytes of `fd` at `offset` into the stream, ``chunkBytes`` at a time.
    static func send(_ st: OpaquePointer, fd: Int32, offset: UInt64, count: UInt64, buffer: inout [UInt8], what: String) throws {
        var done: UInt64 = 0
        while done < count {
            let want = Int(min(UInt64(min(buffer.count, chunkBytes)), count - done))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw UnitopError.io(path: what, message: n == 0 ? "file shrank during the upload" : String(cString: strerror(errno)))
            }
            var sent = 0
            while sent < n {
                let r = buffer.withUnsafeBytes { raw -> Int32 in
                    guard let base = raw.baseAddress else { return -1 }
                    return virStreamSend(st, base.assumingMemoryBound(to: CChar.self) + sent, n - sent)
                }
                guard r > 0 else { throw UnitopError.failed("upload of \(what) failed: \(LibvirtErrors.last().message)") }
                sent += Int(r)
            }
            done += UInt64(n)
        }
    }

    /// Completes a transfer (the host has every byte); frees the stream either way.
    static func finish(_ st: OpaquePointer, what: String) throws {
        defer { virStreamFree(st) }
        guard virStreamFinish(st) == 0 else { throw UnitopError.failed("transfer of \(what) failed: \(LibvirtErrors.last().message)") }
    }

    /// Abandons a transfer and frees the stream.
    static func abort(_ st: OpaquePointer) {
        _ = virStreamAbort(st)
        virStreamFree(st)
    }

    /// Reads `length` bytes (at most ``maxDownloadBytes``) of `v` from `offset`. May return fewer
    /// when the volume is shorter than asked.
    static func download(_ c: OpaquePointer, _ v: OpaquePointer, offset: UInt64, length: Int, what: String) throws -> [UInt8] {
        let length = min(max(0, length), maxDownloadBytes)
        guard length > 0 else { return [] }
        guard let st = virStreamNew(c, 0) else { throw UnitopError.failed("cannot read \(what): \(LibvirtErrors.last().message)") }
        guard virStorageVolDownload(v, st, offset, UInt64(length), 0) == 0 else {
            let why = LibvirtErrors.last().message
            virStreamFree(st)
            throw UnitopError.failed("cannot read \(what): \(why)")
        }
        var out = [UInt8](repeating: 0, count: length)
        var got = 0
        while got < length {
            let n = out.withUnsafeMutableBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return -1 }
                return virStreamRecv(st, base.assumingMemoryBound(to: CChar.self) + got, min(chunkBytes, length - got))
            }
            if n == 0 { break }
            guard n > 0 else {
                let why = LibvirtErrors.last().message
                abort(st)
                throw UnitopError.failed("cannot read \(what): \(why)")
            }
            got += Int(n)
        }
        if got < length {
            try finish(st, what: what)
        } else {
            // Everything asked for is here; the stream may still owe its end marker.
            var probe: CChar = 0
            if virStreamRecv(st, &probe, 1) == 0 { try finish(st, what: what) } else { abort(st) }
        }
        return Array(out[0..<got])
    }
}
