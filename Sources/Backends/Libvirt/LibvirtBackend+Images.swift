import CLibvirt
import Foundation
import Models

/// `images` on a host: the images uploaded to its `unitop` pool (see ``storeOnHost(_:what:)``).
extension LibvirtBackend: ImageStoring {
    /// Most volumes listed (a pool holding more lists the first ones by name).
    static let maxStoredImages = 1000

    /// The images in the host's `unitop` pool (created on first use), sorted by name: one call
    /// lists the volumes, then the first ``ImageInspector/headerWindowBytes`` of each are
    /// downloaded and inspected (bounded, never trusted). Per-instance volumes (console logs,
    /// disk copies: `unitop-NAME.*`) and unfinished uploads are left out. `path` is the path on
    /// the host, `name` comes from the file name after the content hash, `modifiedAt` is unknown.
    public func storedImages() async throws -> [Image] {
        let uri = parsed, host = self.host
        let found: [(LibvirtVolumes.Listed, [UInt8])] = try await connection.call { c in
            let opened = try LibvirtStoragePool.open(c, uri: uri)
            defer { virStoragePoolFree(opened.pool) }
            _ = virStoragePoolRefresh(opened.pool, 0)
            let listed = try LibvirtVolumes.list(opened.pool)
                .filter { Self.isStoredImage($0.name) }
                .sorted { $0.name < $1.name }
                .prefix(Self.maxStoredImages)
            return listed.map { vol in
                guard let v = LibvirtVolumes.lookup(opened.pool, vol.name) else { return (vol, []) }
                defer { virStorageVolFree(v) }
                let n = Int(min(vol.sizeBytes, UInt64(ImageInspector.headerWindowBytes)))
                let head = (try? LibvirtVolumes.download(c, v, offset: 0, length: n, what: vol.name)) ?? []
                return (vol, head)
            }
        }
        return found.map { vol, head in
            var image = ImageInspector.inspect(bytes: head, fileSize: vol.sizeBytes, name: Self.fileName(ofVolume: vol.name), path: vol.path)
            if head.isEmpty, vol.sizeBytes > 0 {
                image.bootable = false
                image.reason = "cannot read the volume's first bytes on \(host)"
            }
            image.host = host
            return image
        }
    }

    /// Whether a volume of the pool is an uploaded image (`<16 hex>-<file name>`).
    static func isStoredImage(_ volume: String) -> Bool {
        let hex = volume.utf8.prefix(16)
        guard volume.utf8.count > 17, hex.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              volume.utf8.dropFirst(16).first == UInt8(ascii: "-") else { return false }
        return !volume.contains(".partial-")
    }

    /// The file name part of a content-keyed volume name.
    static func fileName(ofVolume volume: String) -> String {
        isStoredImage(volume) ? String(volume.dropFirst(17)) : volume
    }
}
