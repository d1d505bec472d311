import Foundation
import Models
import Synchronization

/// Remembers unitop's transient domains after libvirt has forgotten them (a transient domain
/// disappears from libvirt when it stops), so `ps --all` still shows how they ended.
///
/// One JSON ``Instance`` per name under `STATE/libvirt/<connection key>/<name>.json`, written at
/// start and updated when the lifecycle event of its end arrives.
final class LibvirtRecordStore: Sendable {
    /// Records larger than this are ignored.
    static let maxRecordBytes = 256 * 1024
    let directory: String
    /// Serialises file access within this process (the files are the state).
    private let lock = Mutex(())

    init(stateDirectory: String, uri: String) {
        let key = String(uri.unicodeScalars.map { s -> Character in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-" || s == "." ? Character(s) : "_"
        })
        directory = stateDirectory + "/libvirt/" + key
    }

    private func path(_ name: String) -> String { directory + "/" + name + ".json" }

    func save(_ instance: Instance) {
        guard (try? InstanceName.validate(instance.name)) != nil else { return }
        lock.withLock { _ in
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
            let enc = JSONEncoder()
            enc.dateEncodingStrategy = .iso8601
            guard let data = try? enc.encode(instance) else { return }
            let tmp = path(instance.name) + ".tmp"
            if FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) {
                _ = rename(tmp, path(instance.name))
            }
        }
    }

    func load(_ name: String) -> Instance? {
        guard (try? InstanceName.validate(name)) != nil else { return nil }
        return lock.withLock { _ in Self.read(path(name)) }
    }

    /// The names that have a record (no file is read).
    func names() -> [String] {
        lock.withLock { _ in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        }
    }

    func remove(_ name: String) {
        guard (try? InstanceName.validate(name)) != nil else { return }
        lock.withLock { _ in _ = unlink(path(name)) }
    }

    private static func read(_ p: String) -> Instance? {
        // stat(2), not FileManager's attributes: those look the owner up in /etc/passwd and /etc/group.
        var st = stat()
        guard stat(p, &st) == 0, st.st_size <= maxRecordBytes,
              let data = FileManager.default.contents(atPath: p) else { return nil }
        let dec = JSONDecoder()
        dec.dateDecodingStrategy = .iso8601
        return try? dec.decode(Instance.self, from: data)
    }
}
