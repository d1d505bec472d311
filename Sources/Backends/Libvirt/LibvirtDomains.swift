import CLibvirt
import Foundation
import Models
import Synchronization

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
    var metadata: DomainMetadata?
    /// Launch to the first published TCP port accepting (see ``DomainReadiness``), once measured.
    var readyMillis: Double? = nil
}

/// Blocking reads and lookups on a `virConnectPtr`; called only on the connection's queue.
enum LibvirtDomains {
    /// Every domain (active and inactive) in one round trip: `virConnectGetAllDomainStats` with
    /// the state group only (libvirtd answers it from its own records, without asking any QEMU),
    /// plus, for a domain not seen in this run before, its immutable facts (``MetadataCache``).
    /// With `withStats` (the stats poll), the CPU time group too (read from cgroups or /proc by
    /// libvirtd) and, for running domains, the QEMU resident memory (`virDomainMemoryStats`, one
    /// round trip each).
    static func listAll(_ conn: OpaquePointer, uri: String, cache: MetadataCache, withStats: Bool = false) throws -> [DomainSnapshot] {
        var groups = VIR_DOMAIN_STATS_STATE.rawValue
        if withStats { groups |= VIR_DOMAIN_STATS_CPU_TOTAL.rawValue }
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let n = virConnectGetAllDomainStats(conn, groups, &records, 0)
        guard n >= 0, let records else { throw LibvirtErrors.connection(uri, action: "list domains") }
        defer { virDomainStatsRecordListFree(records) }
        var out: [DomainSnapshot] = []
        out.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            guard let record = records[i]?.pointee, let dom = record.dom else { continue }
            let fields = DomainStatsFields(record.params, count: Int(record.nparams))
            guard let state = fields.int("state.state") else { continue }
            guard var s = snapshot(dom, state: Int32(state), reason: Int32(fields.int("state.reason") ?? 0), cache: cache) else { continue }
            s.cpuTimeNs = fields.uint("cpu.time") ?? 0
            if withStats, LibvirtDomainState.map(state: s.state, reason: s.reason).0.isActive { s.rssBytes = rss(dom) }
            out.append(s)
        }
        cache.commit(keeping: Set(out.map(\.uuid)))
        return out
    }

    /// One domain's snapshot, its state read now (nil if it vanished meanwhile).
    static func snapshot(_ dom: OpaquePointer, cache: MetadataCache) -> DomainSnapshot? {
        var state: Int32 = 0, reason: Int32 = 0
        guard virDomainGetState(dom, &state, &reason, 0) == 0 else { return nil }
        return snapshot(dom, state: state, reason: reason, cache: cache)
    }

    /// One domain's snapshot for a known state: name, UUID and id are in the domain handle; the
    /// facts that cannot change during a run come from the cache, read once per run (nil if the
    /// domain vanished meanwhile).
    static func snapshot(_ dom: OpaquePointer, state: Int32, reason: Int32, cache: MetadataCache) -> DomainSnapshot? {
        let uuid = uuidString(dom)
        let name = domainName(dom)
        let id = domainID(dom)
        let entry: MetadataCache.Entry
        if let cached = cache.entry(uuid, id: id) {
            entry = cached
        } else {
            var info = virDomainInfo()
            guard virDomainGetInfo(dom, &info) == 0 else { return nil }
            entry = MetadataCache.Entry(id: id, maxMemKiB: UInt64(info.maxMem), vcpus: Int(info.nrVirtCpu),
                                        metadataXML: metadataXML(dom))
            if !uuid.isEmpty { cache.set(uuid, entry) }
        }
        let meta = cache.metadata(uuid, entry)
        let active = LibvirtDomainState.map(state: state, reason: reason).0.isActive
        var ready = entry.readyMillis
        if ready == nil, active, meta?.workload?.probedPort != nil, let ms = readyMillis(dom) {
            ready = ms
            cache.setReadyMillis(uuid, id: id, ms)
        }
        return DomainSnapshot(
            name: name, uuid: uuid, state: state, reason: reason,
            maxMemKiB: entry.maxMemKiB, vcpus: entry.vcpus, cpuTimeNs: 0,
            rssBytes: nil, metadata: meta, readyMillis: active ? ready : nil)
    }

    /// The readiness figure the probe stored in the live domain, if it is there yet.
    static func readyMillis(_ dom: OpaquePointer) -> Double? {
        guard let raw = virDomainGetMetadata(dom, Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue), DomainReadiness.namespace, 0) else {
            return nil
        }
        defer { free(raw) }
        return DomainReadiness.parse(String(cString: raw))
    }

    /// The domain id (`-1` when inactive); read from the handle, no round trip.
    static func domainID(_ dom: OpaquePointer) -> Int64 {
        let id = virDomainGetID(dom)
        return id == UInt32.max ? -1 : Int64(id)
    }

    /// Resident memory of the domain's QEMU process in bytes, if libvirt reports it.
    static func rss(_ dom: OpaquePointer) -> UInt64? {
        var stats = [virDomainMemoryStatStruct](repeating: virDomainMemoryStatStruct(), count: Int(VIR_DOMAIN_MEMORY_STAT_NR.rawValue))
        let n = virDomainMemoryStats(dom, &stats, UInt32(stats.count), 0)
        guard n > 0 else { return nil }
        for s in stats.prefix(Int(n)) where s.tag == Int32(VIR_DOMAIN_MEMORY_STAT_RSS.rawValue) { return s.val * 1024 }
        return nil
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
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The unitop metadata element of `dom` as libvirt returns it; nil when it has none.
    static func metadataXML(_ dom: OpaquePointer) -> String? {
        guard let raw = virDomainGetMetadata(dom, Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue), DomainMetadata.namespace, 0) else {
            return nil
        }
        defer { free(raw) }
        return String(cString: raw)
    }
}
