import CLibvirt
import Foundation
import Models

extension LibvirtBackend {
    /// Console output; see ``console(_:history:follow:force:)``.
    public func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        console(name, history: history, follow: follow, force: false)
    }

    /// Console output of `name`.
    ///
    /// Domains unitop created on this machine: read from the virtlogd console log (history from
    /// boot, then live, one ordered source: nothing lost or doubled; libvirtd restarts do not
    /// interrupt it). Domains unitop created on other hosts: the same log, kept in the host's
    /// `unitop` pool and read as a volume (``RemoteConsoleLog``). Other domains (foreign, or
    /// started on a remote host by an older unitop): only live output through the libvirt console
    /// stream, no history; `force` takes the console over from another client.
    public func console(_ name: String, history: ConsoleHistory, follow: Bool, force: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        // Pulled chunk by chunk from the source: its bounded buffer is the only one.
        DeferredConsoleStream.make { [weak self] in
            guard let self else { return nil }
            let inst = try await self.instance(named: name)
            if let log = inst.consoleLogPath, self.canReadLocally(log) {
                return ConsoleLogFollower.stream(
                    path: log, history: history, follow: follow && inst.state.isActive,
                    hasEnded: { [weak self] in self?.hasEnded(name) ?? true })
            } else if let volume = await self.remoteLogVolume(inst) {
                return self.remoteConsole(name, volume: volume, history: history, follow: follow && inst.state.isActive)
            } else if follow && inst.state.isActive {
                return try await self.consoleSession(name, force: force).listen()
            }
            return nil
        }
    }

    /// Whether `path` (a path on the libvirt host) can be read from this process.
    func canReadLocally(_ path: String) -> Bool {
        guard parsed.isThisMachine, !parsed.isTest else { return false }
        if access(path, R_OK) == 0 { return true }
        // Not created yet (QEMU is just starting): readable once it appears if its directory is.
        let dir = (path as NSString).deletingLastPathComponent
        return access(path, F_OK) != 0 && access(dir, R_OK | X_OK) == 0
    }

    public func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws {
        try await sendConsoleInput(name, bytes: bytes, force: false)
    }

    /// Sends bytes to the guest's console through libvirt's console stream (opened on first use
    /// and kept while the domain runs). With `force`, takes the console over from another client.
    public func sendConsoleInput(_ name: String, bytes: [UInt8], force: Bool) async throws {
        guard !bytes.isEmpty else { return }
        let session = try await consoleSession(name, force: force)
        try await connection.call { _ in try session.send(bytes) }
    }

    /// The open console session of `name`, opening one if needed.
    func consoleSession(_ name: String, force: Bool) async throws -> LibvirtConsoleSession {
        if let s = state.withLock({ $0.consoleSessions[name] }), !s.isEnded { return s }
        let session: LibvirtConsoleSession = try await connection.call { c in
            try LibvirtDomains.withDomain(c, name) { d in
                try LibvirtConsoleSession(conn: c, domain: d, name: name, force: force)
            }
        }
        let (kept, extra): (LibvirtConsoleSession, LibvirtConsoleSession?) = state.withLock {
            if let s = $0.consoleSessions[name], !s.isEnded { return (s, session) }
            $0.consoleSessions[name] = session
            return (session, nil)
        }
        extra?.close()
        return kept
    }
}
