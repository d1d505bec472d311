import CLibvirt
import Foundation
import Models

/// Console history from boot on hosts that are not this machine: the serial's log is a file of
/// the host's `unitop` pool (see ``remotePlacement(for:)``), read as a storage volume
/// (``RemoteConsoleLog``).
extension LibvirtBackend {
    /// Reads console log volumes of the `unitop` pool through this backend's connection.
    struct PoolLogSource: RemoteConsoleLog.Source {
        let connection: LibvirtConnection

        func sizes(_ volumes: [String]) async throws -> [UInt64?] {
            try await connection.call { c in
                let pool = try LibvirtStoragePool.lookup(c)
                defer { virStoragePoolFree(pool) }
                _ = virStoragePoolRefresh(pool, 0)
                let present = try LibvirtVolumes.names(pool)
                return volumes.map { name in
                    guard present.contains(name), let v = LibvirtVolumes.lookup(pool, name) else { return nil }
                    defer { virStorageVolFree(v) }
                    return LibvirtVolumes.size(v)
                }
            }
        }

        /// A failure on a connection that died meanwhile is a ``UnitopError/connection(uri:message:)``
        /// (which a follower waits out), whatever call noticed it first.
        func read(_ volume: String, offset: UInt64, maxBytes: Int) async throws -> (size: UInt64?, bytes: [UInt8]) {
            let uri = connection.uri
            return try await connection.call { c in
                do {
                    return try Self.read(c, volume, offset: offset, maxBytes: maxBytes)
                } catch let error as UnitopError {
                    if case .connection = error { throw error }
                    guard virConnectIsAlive(c) == 1 else { throw UnitopError.connection(uri: uri, message: "\(error)") }
                    throw error
                }
            }
        }

        private static func read(_ c: OpaquePointer, _ volume: String, offset: UInt64, maxBytes: Int) throws -> (size: UInt64?, bytes: [UInt8]) {
            let pool = try LibvirtStoragePool.lookup(c)
            defer { virStoragePoolFree(pool) }
            var found = LibvirtVolumes.lookup(pool, volume)
            if found == nil {  // created by virtlogd after the pool's last refresh
                _ = virStoragePoolRefresh(pool, 0)
                found = LibvirtVolumes.lookup(pool, volume)
            }
            guard let v = found else { return (nil, []) }
            defer { virStorageVolFree(v) }
            guard let size = LibvirtVolumes.size(v) else { return (nil, []) }
            guard size > offset else { return (size, []) }
            let count = Int(min(UInt64(maxBytes), size - offset))
            return (size, try LibvirtVolumes.download(c, v, offset: offset, length: count, what: "console log \(volume)"))
        }
    }

    /// The volume name of `inst`'s console log when it is a file of the host's `unitop` pool
    /// (instances started by a unitop that puts logs there), else nil.
    func remoteLogVolume(_ inst: Instance) async -> String? {
        guard !parsed.isThisMachine, !parsed.isTest, inst.managed, let log = inst.consoleLogPath else { return nil }
        let dir: String? = try? await connection.call { c in
            guard let p = virStoragePoolLookupByName(c, LibvirtStoragePool.name) else { return nil }
            defer { virStoragePoolFree(p) }
            return LibvirtStoragePool.targetPath(p)
        }
        guard let dir, (log as NSString).deletingLastPathComponent == dir else { return nil }
        return (log as NSString).lastPathComponent
    }

    /// The console stream of `name` read from its log volume.
    func remoteConsole(_ name: String, volume: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        RemoteConsoleLog.stream(volume: volume, source: PoolLogSource(connection: connection),
                                history: history, follow: follow,
                                hasEnded: { [weak self] in self?.hasEnded(name) ?? true },
                                stillRunning: { [weak self] in
                                    guard let self else { return false }
                                    do {
                                        guard let snap = try await self.liveSnapshot(named: name) else { return false }
                                        return LibvirtDomainState.map(state: snap.state, reason: snap.reason).0.isActive
                                    } catch {
                                        return true  // unknown (connection down): asked again at the next check
                                    }
                                })
    }
}
