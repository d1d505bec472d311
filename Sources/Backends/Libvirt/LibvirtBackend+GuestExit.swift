import CLibvirt
import Foundation
import Models

/// The guest's own exit on libvirt (see ``LibvirtExitLog``): when its exit file gets a value,
/// unitop records the ending from that value and destroys the domain; the STOPPED event that
/// follows keeps it. Whatever ends the domain and in whatever order the events come (Unikraft
/// tries an ACPI power-off just before writing 41, and `<on_poweroff>destroy` may end the
/// domain as "powered off" first), a written value decides the ending.
extension LibvirtBackend {
    /// The exit file of domain `name` when it is on this machine; nil for remote and test hosts.
    func localExitLogPath(_ name: String) -> String? {
        guard parsed.isThisMachine, !parsed.isTest, (try? InstanceName.validate(name)) != nil else { return nil }
        if parsed.isSession { return paths.stateDirectory + "/libvirt/session/" + name + "/exit.log" }
        return Self.systemLogDirectory + "/unitop-" + name + ".exit.log"
    }

    /// Whether domain `name` has an exit file (it was created with the isa-debugcon exit device).
    func hasExitLog(_ name: String) -> Bool {
        localExitLogPath(name).map { access($0, F_OK) == 0 } ?? false
    }

    /// Ends every active domain among `snaps` whose exit file holds a value (a guest that exited
    /// while no unitop watched it); true when there was one.
    func finishExitedGuests(_ snaps: [DomainSnapshot]) async -> Bool {
        var finished = false
        for s in snaps where s.metadata?.workload?.exitLogPath != nil && LibvirtDomainState.map(state: s.state, reason: s.reason).0.isActive {
            guard let path = localExitLogPath(s.name), let value = LibvirtExitLog.value(at: path) else { continue }
            await finishGuestExit(s.name, value: value)
            finished = true
        }
        return finished
    }

    /// Records that the guest of `name` exited with `value` and destroys its domain; returns
    /// once the end is handled (at most ``eventGraceSeconds``). Only the first call per run acts.
    func finishGuestExit(_ name: String, value: Int) async {
        let first: Bool = state.withLock { s in
            if s.guestExits[name] != nil || s.endHandled.contains(name) { return false }
            s.guestExits[name] = value
            return true
        }
        if first {
            Self.log.info("guest wrote its exit value; ending the domain", metadata: ["name": "\(name)", "value": "\(value)"])
            do {
                try await onDomain(name, action: "end") { virDomainDestroy($0) }
            } catch {
                Self.log.debug("cannot destroy an exited guest (already gone?)", metadata: ["name": "\(name)", "error": "\(error)"])
            }
        }
        _ = await waitForEnd(name, until: Date().addingTimeInterval(Self.eventGraceSeconds)) { [connection] in
            try await connection.call { c in
                guard let d = virDomainLookupByName(c, name) else { return true }
                defer { virDomainFree(d) }
                return virDomainIsActive(d) == 0
            }
        }
    }

    /// Watches the exit file of `name` while this process lives (or until its end).
    func watchExit(_ name: String) {
        guard let path = localExitLogPath(name) else { return }
        exitWatcher.watch(name: name, path: path) { [weak self] name, value in
            guard let self else { return }
            Task { await self.finishGuestExit(name, value: value) }
        }
    }

    /// The exit value that decides the ending of `name`, at its STOPPED event: one this process
    /// read already, else the file's. An end that the guest may have caused itself (power-off,
    /// panic, QEMU exiting) waits briefly for virtlogd to write a value still on its way.
    func exitValueAtEnd(_ name: String, detail: Int32) async -> Int? {
        exitWatcher.unwatch(name)
        if let v = state.withLock({ $0.guestExits.removeValue(forKey: name) }) { return v }
        guard let path = localExitLogPath(name) else { return nil }
        if LibvirtEnding(stoppedDetail: detail) == .destroyed { return LibvirtExitLog.value(at: path) }
        return await LibvirtExitLog.value(at: path, within: LibvirtExitLog.endGraceSeconds)
    }
}
