import Foundation
import Synchronization

/// What a domain cannot change while it runs: its unitop metadata, maximum memory and vCPU
/// count, keyed by UUID and valid for one domain id (a run: the id changes at every start), plus
/// the readiness figure of a run once measured.
///
/// Kept in memory and, when given a file, on disk (`$STATE/libvirt/<uri>/domains.cache`, in the
/// user's private state directory), so that a fresh `unitop ps` lists a host in one round trip
/// instead of one or more per domain. The file is bounded (``maxFileBytes``), written atomically,
/// pruned to the domains of the last listing, and ignored when unreadable.
final class MetadataCache: Sendable {
    /// One domain's immutable facts for one run.
    struct Entry: Codable, Equatable {
        /// The domain id these facts were read for (`-1` for an inactive domain).
        var id: Int64
        var maxMemKiB: UInt64
        var vcpus: Int
        /// The unitop metadata element as libvirt returned it; nil: none (a foreign domain).
        var metadataXML: String?
        /// Launch to the first published port answering, once measured for this run.
        var readyMillis: Double?
    }

    private struct Contents {
        var entries: [String: Entry] = [:]
        var parsed: [String: DomainMetadata?] = [:]
        var dirty = false
    }

    /// Larger cache files are ignored (rebuilt from libvirt).
    static let maxFileBytes = 4 << 20
    private let file: String?
    private let contents = Mutex(Contents())

    /// `file`: where to keep the cache across processes; nil keeps it in memory only.
    init(file: String? = nil) {
        self.file = file
        guard let file, let entries = JSONCacheFile.load([String: Entry].self, from: file, maxBytes: Self.maxFileBytes) else { return }
        contents.withLock { $0.entries = entries }
    }

    /// The cached facts of `uuid` when they were read for run `id`.
    func entry(_ uuid: String, id: Int64) -> Entry? {
        contents.withLock { c in c.entries[uuid].flatMap { $0.id == id ? $0 : nil } }
    }

    func set(_ uuid: String, _ entry: Entry) {
        contents.withLock { c in
            guard c.entries[uuid] != entry else { return }
            c.entries[uuid] = entry
            c.parsed[uuid] = nil
            c.dirty = true
        }
    }

    /// The parsed metadata of a cached entry (parsed once per process).
    func metadata(_ uuid: String, _ entry: Entry) -> DomainMetadata? {
        contents.withLock { c in
            if let m = c.parsed[uuid] { return m }
            let m = entry.metadataXML.flatMap(DomainMetadata.parse)
            c.parsed[uuid] = .some(m)
            return m
        }
    }

    /// Records the readiness figure of the run the entry describes.
    func setReadyMillis(_ uuid: String, id: Int64, _ ms: Double) {
        contents.withLock { c in
            guard var e = c.entries[uuid], e.id == id, e.readyMillis != ms else { return }
            e.readyMillis = ms
            c.entries[uuid] = e
            c.dirty = true
        }
    }

    /// Drops what was cached for `uuid` (a domain defined again keeps its UUID).
    func forget(_ uuid: String) {
        contents.withLock { c in
            if c.entries.removeValue(forKey: uuid) != nil { c.dirty = true }
            c.parsed[uuid] = nil
        }
    }

    /// Keeps only the domains of a complete listing, and writes the file if anything changed.
    func commit(keeping uuids: Set<String>) {
        let snapshot: [String: Entry]? = contents.withLock { c in
            let before = c.entries.count
            c.entries = c.entries.filter { uuids.contains($0.key) }
            if c.entries.count != before { c.dirty = true }
            guard c.dirty else { return nil }
            c.dirty = false
            return c.entries
        }
        guard let snapshot, let file else { return }
        JSONCacheFile.save(snapshot, to: file)
    }
}
