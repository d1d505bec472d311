import CLibvirt
import Foundation
import Models

/// The `dir` storage pool named `unitop` on a libvirt host, where images uploaded to hosts that
/// are not this machine live (and the console logs of the guests unitop starts there).
///
/// Created on first use. Its directory:
/// - a pool named `unitop` that already exists is used as it is: defining it yourself (any
///   directory, e.g. `virsh pool-define-as unitop dir --target /srv/unikernels`) is how a user
///   chooses where unitop puts files on a host;
/// - else, when a pool named `default` exists: `<default's target path>/unitop`;
/// - else `/var/lib/libvirt/images/unitop` for a system URI, and for a session URI
///   `/home/USER/.local/share/libvirt/images/unitop` (USER from the URI's `user@`, `/root/…` for
///   root; else this process's user name).
///
/// A new pool is defined, built (libvirt creates the directory), started and marked autostart.
/// Every function here runs on the connection's queue and takes or returns C pointers only
/// inside the backend.
enum LibvirtStoragePool {
    static let name = "unitop"
    /// Longest pool XML read for its target path.
    static let maxXMLBytes = 64 << 10

    /// The pool's directory on the host and a referenced `virStoragePoolPtr` (free it).
    struct Opened {
        let pool: OpaquePointer
        let directory: String
    }

    /// Looks up the `unitop` pool, creating it as described above; makes it active.
    static func open(_ c: OpaquePointer, uri: LibvirtURI) throws -> Opened {
        if let p = virStoragePoolLookupByName(c, name) { return try activate(p) }
        let directory = try defaultDirectory(c, uri: uri)
        let xml = "<pool type='dir'><name>\(name)</name><target><path>\(XMLEscaping.escape(directory))</path></target></pool>"
        guard let p = virStoragePoolDefineXML(c, xml, 0) else {
            let why = LibvirtErrors.last().message
            // Another unitop may have defined it a moment ago.
            if let again = virStoragePoolLookupByName(c, name) { return try activate(again) }
            throw UnitopError.failed("cannot define the storage pool '\(name)' at \(directory) on \(uri.hostLabel): \(why)")
        }
        if virStoragePoolBuild(p, 0) != 0 {
            let why = LibvirtErrors.last().message
            _ = virStoragePoolUndefine(p)
            virStoragePoolFree(p)
            throw UnitopError.failed("cannot create the storage pool directory \(directory) on \(uri.hostLabel): \(why)")
        }
        _ = virStoragePoolSetAutostart(p, 1)
        LibvirtBackend.log.info("created storage pool", metadata: ["uri": "\(uri.string)", "directory": "\(directory)"])
        return try activate(p)
    }

    /// The `unitop` pool when it exists (free it), without creating, starting or reading it: one
    /// round trip, for the frequent reads of a console log.
    static func lookup(_ c: OpaquePointer) throws -> OpaquePointer {
        guard let p = virStoragePoolLookupByName(c, name) else {
            throw UnitopError.failed("no storage pool '\(name)': \(LibvirtErrors.last().message)")
        }
        return p
    }

    /// Starts `p` when inactive and reads its directory; frees `p` when it throws.
    private static func activate(_ p: OpaquePointer) throws -> Opened {
        if virStoragePoolIsActive(p) != 1, virStoragePoolCreate(p, 0) != 0 {
            let why = LibvirtErrors.last().message
            virStoragePoolFree(p)
            throw UnitopError.failed("cannot start the storage pool '\(name)': \(why)")
        }
        guard let dir = targetPath(p) else {
            virStoragePoolFree(p)
            throw UnitopError.failed("the storage pool '\(name)' has no usable target path (a 'dir' pool is needed)")
        }
        return Opened(pool: p, directory: dir)
    }

    /// Where a new `unitop` pool goes (see the type's documentation).
    static func defaultDirectory(_ c: OpaquePointer, uri: LibvirtURI) throws -> String {
        if let d = virStoragePoolLookupByName(c, "default") {
            defer { virStoragePoolFree(d) }
            if let base = targetPath(d) { return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + name }
        }
        return fallbackDirectory(uri: uri, localUser: currentUserName())
    }

    /// The directory without a `default` pool: system or session rule.
    static func fallbackDirectory(uri: LibvirtURI, localUser: String) -> String {
        guard uri.isSession else { return LibvirtBackend.systemImageDirectory }
        let user = uri.userName ?? localUser
        let home = user == "root" ? "/root" : "/home/" + user
        return home + "/.local/share/libvirt/images/" + name
    }

    static func currentUserName() -> String {
        if let pw = getpwuid(geteuid()), let n = pw.pointee.pw_name { return String(cString: n) }
        return ProcessInfo.processInfo.environment["USER"] ?? "root"
    }

    /// The `<target><path>` of a pool, nil when absent or not an absolute path.
    static func targetPath(_ p: OpaquePointer) -> String? {
        guard let raw = virStoragePoolGetXMLDesc(p, 0) else { return nil }
        defer { free(raw) }
        return targetPath(inXML: String(cString: raw))
    }

    /// Bounded read of `<target>…<path>X</path>…</target>` (the first `target` element, within
    /// ``maxXMLBytes``); entities `&amp; &lt; &gt; &apos; &quot;` are decoded.
    static func targetPath(inXML xml: String) -> String? {
        let text = xml.utf8.count > maxXMLBytes ? String(decoding: xml.utf8.prefix(maxXMLBytes), as: UTF8.self) : xml
        guard let target = text.range(of: "<target>"),
              let end = text.range(of: "</target>", range: target.upperBound..<text.endIndex),
              let open = text.range(of: "<path>", range: target.upperBound..<end.lowerBound),
              let close = text.range(of: "</path>", range: open.upperBound..<end.lowerBound) else { return nil }
        let path = XMLEscaping.unescape(String(text[open.upperBound..<close.lowerBound]))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard path.hasPrefix("/"), path.utf8.count <= DomainXMLBuilder.maxPathBytes, !path.contains("\0") else { return nil }
        return path
    }
}
