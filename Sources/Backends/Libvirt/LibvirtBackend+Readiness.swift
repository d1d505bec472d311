import CLibvirt
import CUnitopSys
import Foundation
import Models

/// Time to ready on libvirt: launch until the guest accepts a connection on its first published
/// TCP port (``Instance/readyMillis``).
///
/// `unitop run --detach` returns at once, so the probe runs in a process of its own that
/// outlives it: ``start(_:)`` spawns ``readinessProbeCommand`` (the executable's hidden
/// `__probe-ready` command, detached: own session, stdio on /dev/null), which calls
/// ``probeReadiness(_:schedule:)``. The figure is stored in the live domain (``DomainReadiness``)
/// and in the instance's record, so every listing shows it.
extension LibvirtBackend {
    /// Starts the detached probe process for `name`; logs and gives up when it cannot start.
    func spawnReadinessProbe(_ name: String) {
        guard let command = readinessProbeCommand, let file = command.first else { return }
        let argv = command + [name]
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = unitop_spawn(file, &cArgs, -1, -1, -1, -1, Int32(UNITOP_SPAWN_DETACH), &pid)
        if rc != 0 {
            Self.log.warning("cannot start the readiness probe", metadata: ["name": "\(name)", "error": "\(String(cString: strerror(rc)))"])
        }
    }

    /// Probes `name` until its guest accepts a connection on the first published TCP port, and
    /// stores the figure; returns it. nil when the domain has no such port, ends first, or does
    /// not answer within the schedule's `giveUpAfter`.
    ///
    /// Each round: connect to the host port when not connected; a connection the guest refused
    /// (closed by slirp) is dropped and made again; one still waiting after `reconnectAfter` too
    /// (slirp's own SYN retries wait seconds). The guest accepted once `info usernet` (HMP
    /// through libvirt-qemu) shows the forwarded connection past SYN_SENT, or it sent data.
    /// Nothing is sent to the guest; the connection is closed as soon as it is accepted.
    public func probeReadiness(_ name: String, schedule: ReadinessSchedule = ReadinessSchedule()) async throws -> Double? {
        guard let first = try await liveSnapshot(named: name), let meta = first.metadata,
              let port = meta.workload?.probedPort else { return nil }
        if let known = first.readyMillis { return known }
        if let why = unitop_virqemu_load_error() {
            throw UnitopError.unsupported("readiness on libvirt needs \(UNITOP_LIBVIRT_QEMU_SONAME) (\(String(cString: why)))")
        }
        let clock = ContinuousClock()
        let giveUp = clock.now + schedule.giveUpAfter
        var interval = schedule.firstInterval
        var socket: ReadinessSocket?
        var connectedAt = clock.now
        while clock.now < giveUp {
            if socket == nil {
                socket = ReadinessSocket(port)
                connectedAt = clock.now
            }
            var accepted = false
            if let s = socket {
                switch s.status() {
                case .data: accepted = true
                case .closed: socket = nil
                case .waiting: break
                }
            }
            if !accepted, socket != nil {
                guard let table = try await usernet(name) else { return nil }  // the domain ended
                accepted = table.guestAccepted(hostPort: port.hostPort)
                if !accepted, clock.now - connectedAt >= schedule.reconnectAfter { socket = nil }
            } else if !accepted, try await !isActive(name) {
                return nil
            }
            if accepted {
                let ms = Date().timeIntervalSince(meta.startedAt) * 1000
                socket = nil
                await storeReadiness(name, millis: ms)
                return ms
            }
            try await Task.sleep(for: interval)
            interval = schedule.next(after: interval)
        }
        return nil
    }

    /// `info usernet` of the domain, parsed; nil when the domain no longer runs.
    private func usernet(_ name: String) async throws -> UsernetTable? {
        try await connection.call { c in
            guard let d = virDomainLookupByName(c, name) else { return nil }
            defer { virDomainFree(d) }
            guard virDomainIsActive(d) == 1 else { return nil }
            var reply: UnsafeMutablePointer<CChar>?
            let flags = UInt32(VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP.rawValue)
            guard virDomainQemuMonitorCommand(d, "info usernet", &reply, flags) == 0 else {
                if virDomainIsActive(d) != 1 { return nil }
                throw LibvirtErrors.domain(name, action: "read the user network of")
            }
            defer { free(reply) }
            return UsernetTable(text: reply.map { String(cString: $0) } ?? "")
        }
    }

    private func isActive(_ name: String) async throws -> Bool {
        try await connection.call { c in
            guard let d = virDomainLookupByName(c, name) else { return false }
            defer { virDomainFree(d) }
            return virDomainIsActive(d) == 1
        }
    }

    /// Stores the figure in the live domain and in the instance's record (when it has one and
    /// still runs), and publishes it.
    private func storeReadiness(_ name: String, millis: Double) async {
        let element = DomainReadiness.element(millis: millis)
        do {
            try await onDomain(name, action: "store the readiness of") { d in
                virDomainSetMetadata(d, Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue), element, DomainReadiness.prefix,
                                     DomainReadiness.namespace, UInt32(VIR_DOMAIN_AFFECT_LIVE.rawValue))
            }
        } catch {
            Self.log.warning("cannot store the readiness figure", metadata: ["name": "\(name)", "error": "\(error)"])
        }
        if var r = records.load(name), r.state.isActive {
            r.readyMillis = millis
            records.save(r)
        }
        await refreshAfterAction(name)
    }
}
