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
    var persistent: Bool
    var metadata: DomainMetadata?
    /// Launch to the first published TCP port accepting (see ``DomainReadiness``), once measured.
    var readyMillis: Double? = nil
}

/// Caches each domain's unitop metadata by UUID (it never changes for a domain we created), so
/// listing costs no per-domain round trip after the first sight.
/// The readiness figure is cached once measured (it never changes for a run).
final class MetadataCache: Sendable {
    private let entries = Mutex<[String: DomainMetadata?]>([:])
    private let ready = Mutex<[String: Double]>([:])

    func get(_ uuid: String) -> DomainMetadata?? { entries.withLock { $0[uuid] } }
    func set(_ uuid: String, _ m: DomainMetadata?) { entries.withLock { $0[uuid] = m } }
    func forget(_ uuid: String) { _ = entries.withLock { $0.removeValue(forKey: uuid) } }
    /// Keyed by `UUID/domain id` (one run).
    func readyMillis(_ run: String) -> Double? { ready.withLock { $0[run] } }
    func setReadyMillis(_ run: String, _ ms: Double) { ready.withLock { $0[run] = ms } }
}

/// Blocking reads and lookups on a `virConnectPtr`; called only on the connection's queue.
enum LibvirtDomains {
    /// Every domain (active and inactive): one list call, one list of transient domains, and one
    /// `virDomainGetInfo` per domain (state, memory, vCPUs, CPU time; no QEMU monitor round trip),
    /// plus `virDomainGetState` only where the reason matters (not running). Metadata is read once
    /// per domain (cached by UUID).
    ///
    /// `virConnectGetAllDomainStats` is not used for listing: its balloon and vCPU groups query
    /// every QEMU over QMP, which made a 50-domain listing 2.5× slower than `virsh list --all`.
    /// With `withRSS`, running domains also get their QEMU resident memory (`virDomainMemoryStats`,
    /// read from /proc by libvirtd; one more round trip each, used by the stats poll only).
    static func listAll(_ conn: OpaquePointer, uri: String, cache: MetadataCache, withRSS: Bool = false) throws -> [DomainSnapshot] {
        let transient = try transientNames(conn, uri: uri)
        var list: UnsafeMutablePointer<virDomainPtr?>?
        let n = virConnectListAllDomains(conn, &list, 0)
        guard n >= 0, let list else { throw LibvirtErrors.connection(uri, action: "list domains") }
        defer {
            for i in 0..<Int(n) { if let d = list[i] { virDomainFree(d) } }
            free(list)
        }
        var out: [DomainSnapshot] = []
        out.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            guard let d = list[i], var s = snapshot(d, cache: cache, transient: transient) else { continue }
            if withRSS, s.cpuTimeNs > 0 { s.rssBytes = rss(d) }
            out.append(s)
        }
        return out
    }

    /// One domain's snapshot (nil if it vanished meanwhile). `transient`, when given, saves the
    /// per-domain persistence query.
    static func snapshot(_ dom: OpaquePointer, cache: MetadataCache, transient: Set<String>? = nil) -> DomainSnapshot? {
        var info = virDomainInfo()
        guard virDomainGetInfo(dom, &info) == 0 else { return nil }
        var state = Int32(info.state), reason: Int32 = 0
        if state != Int32(VIR_DOMAIN_RUNNING.rawValue) {
            _ = virDomainGetState(dom, &state, &reason, 0)
        }
        let uuid = uuidString(dom)
        let name = domainName(dom)
        let persistent = transient.map { !$0.contains(name) } ?? (virDomainIsPersistent(dom) == 1)
        let meta = metadata(dom, uuid: uuid, cache: cache)
        let active = LibvirtDomainState.map(state: state, reason: reason).0.isActive
        let ready = active && meta?.workload?.probedPort != nil ? readyMillis(dom, uuid: uuid, cache: cache) : nil
        return DomainSnapshot(
            name: name, uuid: uuid, state: state, reason: reason,
            maxMemKiB: UInt64(info.maxMem), vcpus: Int(info.nrVirtCpu), cpuTimeNs: info.cpuTime,
            rssBytes: nil, persistent: persistent, metadata: meta, readyMillis: ready)
    }

    /// The readiness figure the probe stored in the live domain (one metadata read per listing
    /// until it is there, then cached by UUID and run: the domain id changes at every start).
    static func readyMillis(_ dom: OpaquePointer, uuid: String, cache: MetadataCache) -> Double? {
        let key = uuid.isEmpty ? "" : "\(uuid)/\(virDomainGetID(dom))"
        if !key.isEmpty, let cached = cache.readyMillis(key) { return cached }
        guard let raw = virDomainGetMetadata(dom, Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue), DomainReadiness.namespace, 0) else {
            return nil
        }
        defer { free(raw) }
        guard let ms = DomainReadiness.parse(String(cString: raw)) else { return nil }
        if !key.isEmpty { cache.setReadyMillis(key, ms) }
        return ms
    }

    /// Resident memory of the domain's QEMU process in bytes, if libvirt reports it.
    static func rss(_ dom: OpaquePointer) -> UInt64? {
        var stats = [virDomainMemoryStatStruct](repeating: virDomainMemoryStatStruct(), count: Int(VIR_DOMAIN_MEMORY_STAT_NR.rawValue))
        let n = virDomainMemoryStats(dom, &stats, UInt32(stats.count), 0)
        guard n > 0 else { return nil }
        for s in stats.prefix(Int(n)) where s.tag == Int32(VIR_DOMAIN_MEMORY_STAT_RSS.rawValue) { return s.val * 1024 }
        return nil
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
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
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
