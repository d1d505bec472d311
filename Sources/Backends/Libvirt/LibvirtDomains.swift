import CLibvirt
import Foundation
import Models

/// One domain as read through the C API.
struct DomainSnapshot: Sendable, Equatable {
    var name: String
    var uuid: String
    var state: Int32
    var reason: Int32
    var maxMemKiB: UInt64
    var vcpus: Int
    /// Total CPU time in nanoseconds (0 when inactive).
    var cpuTimeNs: UInt64
    /// Resident memory of the QEMU process in bytes, when libvirt reports it.
    var rssBytes: UInt64?
    var persistent: Bool
    var metadata: DomainMetadata?
}

/// Caches each domain's unitop metadata by UUID (it never changes for a domain we created), so
/// listing costs no per-domain round trip after the first sight.
final class MetadataCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: DomainMetadata?] = [:]

    func get(_ uuid: String) -> DomainMetadata?? { lock.withLock { entries[uuid] } }
    func set(_ uuid: String, _ m: DomainMetadata?) { lock.withLock { entries[uuid] = m } }
    func forget(_ uuid: String) { _ = lock.withLock { entries.removeValue(forKey: uuid) } }
}

/// Blocking reads and lookups on a `virConnectPtr`; called only on the connection's queue.
enum LibvirtDomains {
    /// Every domain (active and inactive): `virConnectGetAllDomainStats` (one round trip) plus one
    /// list of transient domains, with a per-domain fallback for drivers without bulk stats.
    static func listAll(_ conn: OpaquePointer, uri: String, cache: MetadataCache) throws -> [DomainSnapshot] {
        let transient = try transientNames(conn, uri: uri)
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let groups = VIR_DOMAIN_STATS_STATE.rawValue | VIR_DOMAIN_STATS_CPU_TOTAL.rawValue
            | VIR_DOMAIN_STATS_BALLOON.rawValue | VIR_DOMAIN_STATS_VCPU.rawValue
        let n = virConnectGetAllDomainStats(conn, groups, &records, 0)
        guard n >= 0, let records else { return try listSlow(conn, uri: uri, cache: cache) }
        defer { virDomainStatsRecordListFree(records) }
        var out: [DomainSnapshot] = []
        for i in 0..<Int(n) {
            guard let rec = records[i], let dom = rec.pointee.dom else { continue }
            let p = rec.pointee.params, np = rec.pointee.nparams
            var state: Int32 = 0, reason: Int32 = 0, vcpus: UInt32 = 0
            var cpu: UInt64 = 0, maxMem: UInt64 = 0, rss: UInt64 = 0
            _ = virTypedParamsGetInt(p, np, "state.state", &state)
            _ = virTypedParamsGetInt(p, np, "state.reason", &reason)
            _ = virTypedParamsGetULLong(p, np, "cpu.time", &cpu)
            _ = virTypedParamsGetULLong(p, np, "balloon.maximum", &maxMem)
            let hasRSS = virTypedParamsGetULLong(p, np, "balloon.rss", &rss) == 1
            _ = virTypedParamsGetUInt(p, np, "vcpu.current", &vcpus)
            let name = domainName(dom)
            var snap = DomainSnapshot(
                name: name, uuid: uuidString(dom), state: state, reason: reason, maxMemKiB: maxMem,
                vcpus: Int(vcpus), cpuTimeNs: cpu, rssBytes: hasRSS ? rss * 1024 : nil,
                persistent: !transient.contains(name), metadata: nil)
            if maxMem == 0 || vcpus == 0 {  // inactive domains may lack these groups
                var info = virDomainInfo()
                if virDomainGetInfo(dom, &info) == 0 {
                    snap.maxMemKiB = UInt64(info.maxMem)
                    snap.vcpus = Int(info.nrVirtCpu)
                }
            }
            snap.metadata = metadata(dom, uuid: snap.uuid, cache: cache)
            out.append(snap)
        }
        return out
    }

    /// Per-domain fallback: list, then info and state of each.
    static func listSlow(_ conn: OpaquePointer, uri: String, cache: MetadataCache) throws -> [DomainSnapshot] {
        var list: UnsafeMutablePointer<virDomainPtr?>?
        let n = virConnectListAllDomains(conn, &list, 0)
        guard n >= 0, let list else { throw LibvirtErrors.connection(uri, action: "list domains") }
        defer {
            for i in 0..<Int(n) { if let d = list[i] { virDomainFree(d) } }
            free(list)
        }
        var out: [DomainSnapshot] = []
        for i in 0..<Int(n) {
            guard let d = list[i], let s = snapshot(d, cache: cache) else { continue }
            out.append(s)
        }
        return out
    }

    /// One domain's snapshot (nil if it vanished meanwhile).
    static func snapshot(_ dom: OpaquePointer, cache: MetadataCache) -> DomainSnapshot? {
        var info = virDomainInfo()
        guard virDomainGetInfo(dom, &info) == 0 else { return nil }
        var state: Int32 = Int32(info.state), reason: Int32 = 0
        _ = virDomainGetState(dom, &state, &reason, 0)
        let uuid = uuidString(dom)
        return DomainSnapshot(
            name: domainName(dom), uuid: uuid, state: state, reason: reason,
            maxMemKiB: UInt64(info.maxMem), vcpus: Int(info.nrVirtCpu), cpuTimeNs: info.cpuTime,
            rssBytes: nil, persistent: virDomainIsPersistent(dom) == 1,
            metadata: metadata(dom, uuid: uuid, cache: cache))
    }

    /// Names of the transient domains (one round trip).
    static func transientNames(_ conn: OpaquePointer, uri: String) throws -> Set<String> {
        var list: UnsafeMutablePointer<virDomainPtr?>?
        let n = virConnectListAllDomains(conn, &list, UInt32(VIR_CONNECT_LIST_DOMAINS_TRANSIENT.rawValue))
        guard n >= 0, let list else { throw LibvirtErrors.connection(uri, action: "list domains") }
        defer {
            for i in 0..<Int(n) { if let d = list[i] { virDomainFree(d) } }
            free(list)
        }
        var names = Set<String>()
        for i in 0..<Int(n) { if let d = list[i] { names.insert(domainName(d)) } }
        return names
    }

    /// Looks `name` up, runs `body` with the domain and frees it. Throws
    /// ``UnitopError/instanceNotFound(_:)`` for unknown names.
    static func withDomain<T>(_ conn: OpaquePointer, _ name: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard let dom = virDomainLookupByName(conn, name) else {
            throw LibvirtErrors.domain(name, action: "find")
        }
        defer { virDomainFree(dom) }
        return try body(dom)
    }

    static func domainName(_ dom: OpaquePointer) -> String {
        virDomainGetName(dom).map { String(cString: $0) } ?? ""
    }

    static func uuidString(_ dom: OpaquePointer) -> String {
        var buf = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(dom, &buf) == 0 else { return "" }
        return String(cString: buf)
    }

    /// The unitop metadata element of `dom` (cached by UUID).
    static func metadata(_ dom: OpaquePointer, uuid: String, cache: MetadataCache) -> DomainMetadata? {
        if !uuid.isEmpty, let cached = cache.get(uuid) { return cached }
        var result: DomainMetadata?
        if let raw = virDomainGetMetadata(dom, Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue), DomainMetadata.namespace, 0) {
            result = DomainMetadata.parse(String(cString: raw))
            free(raw)
        }
        if !uuid.isEmpty { cache.set(uuid, result) }
        return result
    }
}
