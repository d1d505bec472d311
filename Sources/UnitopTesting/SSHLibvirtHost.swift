import Foundation
import Models

/// A second libvirt host for tests, reached over real ssh (`scripts/libvirt-ssh.sh`): the private
/// session libvirtd of the unprivileged test user ``user``, with everything under ``directory``,
/// and Debian's sshd on a free loopback port with its own config and keys. It shares nothing with
/// the system libvirtd, cannot read root's files, and its QEMU cannot use KVM (TCG only).
///
/// ```swift
/// let host = try await SSHLibvirtHost.up()
/// defer { host.purgeNow() }
/// let backend = try LibvirtBackend(uri: host.uri, …)
/// ```
///
/// Needs root and what `scripts/setup.sh` installs (openssh-server, netcat-openbsd, libvirt).
/// Every process it starts is stopped by ``purge()`` (or ``purgeNow()``), which also removes the
/// test user and its home when ``up(timeout:)`` created them.
public final class SSHLibvirtHost: Sendable {
    /// The unprivileged user the daemon runs as and ssh logs in as.
    public static let user = "unitop-sshtest"
    /// The test user's home, which it owns (files there are readable by its QEMU).
    public static let home = "/home/" + user
    /// `scripts/libvirt-ssh.sh` in this repository.
    public static var script: String { Fixtures.repositoryRoot.appendingPathComponent("scripts/libvirt-ssh.sh").path }

    /// Where the daemon's config, sockets, logs and domains, and sshd's files live.
    public let directory: String
    /// The daemon's loopback TCP port (libvirt-private.sh makes it listen there).
    public let libvirtPort: Int
    /// sshd's loopback port.
    public let sshPort: Int
    /// The `qemu+ssh://` URI that reaches the daemon through ssh (see `scripts/libvirt-ssh.sh`).
    public let uri: String
    /// The test user's uid when the host came up (the user may be gone after ``purge()``).
    public let uid: uid_t
    /// How long each script run may take.
    let timeout: Double

    /// The same daemon reached directly through its Unix socket (as root, no ssh).
    public var socketURI: String { "qemu+unix:///session?socket=\(directory)/run/libvirt/libvirt-sock" }
    /// The label unitop gives ``uri`` (`LibvirtURI.hostLabel`: host name and `:session`).
    public var hostLabel: String { "127.0.0.1:session" }

    private init(directory: String, libvirtPort: Int, sshPort: Int, uri: String, uid: uid_t, timeout: Double) {
        self.directory = directory
        self.libvirtPort = libvirtPort
        self.sshPort = sshPort
        self.uri = uri
        self.uid = uid
        self.timeout = timeout
    }

    /// Sets the host up in a fresh directory on two free loopback ports and waits (at most
    /// `timeout` seconds) until `virsh` answers through ssh. On failure everything started is
    /// purged and ``UnitopError/failed(_:)`` is thrown.
    public static func up(timeout: Double = 90) async throws -> SSHLibvirtHost {
        guard let ports = FreePort.loopbackTCP(count: 2), ports.count == 2 else {
            throw UnitopError.failed("cannot bind two loopback ports")
        }
        let (libvirtPort, sshPort) = (ports[0], ports[1])
        let dir = "/tmp/unitop-lvssh-" + UUID().uuidString.prefix(8).lowercased()
        let status = try await UnblockedSpawn.runOffPool([script, "up", dir, String(libvirtPort), String(sshPort)], timeout: timeout)
        let uri = (try? String(contentsOfFile: dir + "/ssh/uri", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0, let uri, !uri.isEmpty, let pw = getpwnam(user) else {
            _ = try? UnblockedSpawn.run([script, "purge", dir], timeout: timeout)
            throw UnitopError.failed("scripts/libvirt-ssh.sh up \(dir) failed (status \(status)); see its output above")
        }
        return SSHLibvirtHost(directory: dir, libvirtPort: libvirtPort, sshPort: sshPort, uri: uri,
                              uid: pw.pointee.pw_uid, timeout: timeout)
    }

    /// Stops only the libvirtd (sshd stays up): the remote daemon goes away under its clients.
    public func stopDaemon() async throws {
        try await script(["libvirtd-down", directory], what: "stop libvirtd")
    }

    /// Starts the libvirtd again (and sshd, if it is not running) and waits until it answers through ssh.
    public func startDaemon() async throws {
        try await script(["up", directory, String(libvirtPort), String(sshPort)], what: "start libvirtd")
    }

    /// Stops sshd (with its sessions), the daemon, its guests and virtlogd, removes ``directory``,
    /// and undoes what ``up(timeout:)`` did to the test user. Returns whether the script succeeded.
    @discardableResult
    public func purge() async -> Bool {
        (try? await UnblockedSpawn.runOffPool([Self.script, "purge", directory], timeout: timeout)) == 0
    }

    /// ``purge()`` blocking the calling thread, for `defer` blocks.
    @discardableResult
    public func purgeNow() -> Bool {
        (try? UnblockedSpawn.run([Self.script, "purge", directory], timeout: timeout)) == 0
    }

    /// Copies `source` into the test user's ``home`` as `name` (mode 0644, owned by the user), where
    /// the daemon's QEMU can read it, and returns the new path.
    public func copyToHome(_ source: String, as name: String) throws -> String {
        let destination = Self.home + "/" + name
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: source, toPath: destination)
        guard chown(destination, uid, gid_t(bitPattern: -1)) == 0, chmod(destination, 0o644) == 0 else {
            throw UnitopError.io(path: destination, message: "cannot give it to \(Self.user): \(String(cString: strerror(errno)))")
        }
        return destination
    }

    /// Makes `path` (a directory on this machine, created when missing) owned by `user` (default:
    /// the test user) and every directory from it up to `root` traversable, so the user's daemon can
    /// write there: a session URI's console log goes under this machine's state directory (see the
    /// libvirt backend's placement).
    public static func grantUser(_ path: String, root: String, user: String = SSHLibvirtHost.user) throws {
        guard let pw = getpwnam(user) else { throw UnitopError.failed("no user \(user)") }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var p = path
        while p.hasPrefix(root), p.count >= root.count {
            _ = chmod(p, 0o711)
            p = (p as NSString).deletingLastPathComponent
        }
        _ = chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        _ = chmod(path, 0o755)
    }

    /// The processes of this host still running (`PID NAME`), read from /proc: those whose command
    /// line or environment mentions ``directory`` (sshd and its sessions, libvirtd, virtlogd, QEMU),
    /// whoever runs them. Empty after ``purge()`` when nothing of it was left behind.
    public func processesLeft() -> [String] {
        let needle = Array(directory.utf8)
        return Self.processes { pid, _ in
            ["cmdline", "environ"].contains { file in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)") else { return false }
                return data.withUnsafeBytes { Self.contains($0, needle) }
            }
        }
    }

    /// The processes whose real uid is `uid`, as `PID NAME`.
    public static func processes(ofUID uid: uid_t) -> [String] {
        processes { _, owner in owner == String(uid) }
    }

    /// Where `scripts/libvirt-ssh.sh` notes the hosts that share the test user; it is gone when
    /// none is up (the last purge has put the user back).
    public static let registry = "/run/unitop-libvirt-ssh/" + user

    /// Whether some host (this process's or another's) still uses the test user.
    public static var anyHostUp: Bool { FileManager.default.fileExists(atPath: registry) }

    /// The processes (`PID NAME`) for which `match(pid, realUID)` holds.
    private static func processes(_ match: (String, String?) -> Bool) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid -> String? in
            guard Int32(pid) != nil, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            var name = "?", owner: String?
            for line in status.split(separator: "\n") {
                if line.hasPrefix("Name:") { name = line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("Uid:") { owner = line.dropFirst(4).split(whereSeparator: { $0 == "\t" || $0 == " " }).first.map(String.init) }
            }
            return match(pid, owner) ? "\(pid) \(name)" : nil
        }
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if (1..<needle.count).allSatisfy({ haystack[start + $0] == needle[$0] }) { return true }
        }
        return false
    }

    private func script(_ arguments: [String], what: String) async throws {
        let status = try await UnblockedSpawn.runOffPool([Self.script] + arguments, timeout: timeout)
        guard status == 0 else { throw UnitopError.failed("scripts/libvirt-ssh.sh: cannot \(what) (status \(status))") }
    }
}
