import CLibvirt
import Foundation
import Models

extension LibvirtBackend {
    // MARK: - Start

    /// Whether the host offers KVM for x86_64 guests according to libvirt's capabilities (which
    /// list it whenever /dev/kvm exists; used for remote hosts only).
    func hostListsKVM() async throws -> Bool {
        let uri = self.uri
        let caps: String = try await connection.call { c in
            guard let raw = virConnectGetCapabilities(c) else { throw LibvirtErrors.connection(uri, action: "read capabilities") }
            defer { free(raw) }
            return String(cString: raw)
        }
        return LibvirtCapabilities.hasKVM(capabilitiesXML: caps)
    }

    /// Whether libvirt's QEMU can open /dev/kvm on this machine (nil for remote hosts, where
    /// only libvirt's capabilities say anything).
    func localKVMVerdict() -> KVMAccess.Verdict? {
        guard parsed.isThisMachine, !parsed.isTest else { return nil }
        let runner = parsed.isSession ? KVMAccess.currentProcess() : KVMAccess.systemQEMU()
        return KVMAccess.decide(device: KVMAccess.readDevice(), runner: runner)
    }

    /// KVM or TCG for `accel`, and why TCG when `auto` falls back to it. An explicit `kvm` that
    /// cannot work throws one line naming the cause and the fix, before anything is created.
    func chooseAccel(_ accel: Accel, name: String) async throws -> (kvm: Bool, note: String?) {
        switch accel {
        case .tcg:
            return (false, nil)
        case .kvm:
            if case .unusable(let cause, let fix)? = localKVMVerdict() {
                throw UnitopError.launchFailed(name: name, message: "KVM unusable: \(cause); fix: \(fix) (or use --accel tcg)")
            }
            return (true, nil)
        case .auto:
            switch localKVMVerdict() {
            case .usable?: return (true, nil)
            case .unusable(let cause, let fix)?: return (false, "TCG: KVM unusable: \(cause); fix: \(fix)")
            case nil:
                return try await hostListsKVM() ? (true, nil) : (false, "TCG: libvirt reports no KVM on \(host)")
            }
        }
    }

    public func start(_ spec: LaunchSpec) async throws -> Instance {
        try LaunchLimits.validate(spec)
        let name = spec.name
        if parsed.isThisMachine, !parsed.isTest, !FileManager.default.isReadableFile(atPath: spec.imagePath) {
            throw UnitopError.imageNotFound(spec.imagePath)
        }
        let (kvm, accelNote) = try await chooseAccel(spec.accel, name: name)
        if let existing = try? await instance(named: name), existing.state.isActive || !existing.managed || existing.state == .created {
            throw UnitopError.instanceExists(name)
        }
        // Before anything is created: a taken host port or a file QEMU cannot reach leaves nothing behind.
        if parsed.isThisMachine, !parsed.isTest { try HostPorts.checkAvailable(spec.ports, instance: name) }
        try checkQEMUCanReach(spec)
        let forwards = spec.network == .user ? spec.ports.map(DomainXMLBuilder.hostForwardRule) : []
        if !forwards.isEmpty, let why = unitop_virqemu_load_error() {
            throw UnitopError.unsupported("published ports on libvirt need \(UNITOP_LIBVIRT_QEMU_SONAME) (\(String(cString: why)))")
        }
        let remote = !parsed.isThisMachine && !parsed.isTest
        let place = remote ? try await remotePlacement(for: spec) : try placement(for: spec)
        let startedAt = Date()
        let workload = DomainWorkload(spec: spec, exitLogPath: place.exitLogPath, copies: place.copies)
        let meta = DomainMetadata(image: spec.imagePath, kernelCopy: place.kernelCopy, append: spec.kernelCommandLine,
                                  machine: spec.machine, accel: kvm ? "kvm" : "tcg", startedAt: startedAt, logPath: place.logPath,
                                  accelNote: accelNote, workload: workload)
        let xml: String
        do {
            xml = try DomainXMLBuilder(
                name: name, kernelPath: place.kernelPath, append: spec.kernelCommandLine, memoryMiB: spec.memoryMiB,
                cpus: spec.cpus, machine: spec.machine, kvm: kvm, cpuModel: spec.cpuModel ?? config.qemu.cpu,
                logPath: place.logPath, metadata: meta, initrdPath: place.initrdPath,
                bootDisk: place.bootDiskPath.map { DiskAttachment(path: $0, format: spec.bootDiskFormat ?? .raw) },
                disks: place.disks ?? spec.disks, network: spec.network, ports: spec.ports, volumes: spec.volumes,
                exitLogPath: place.exitLogPath).build()
        } catch {
            await discard(place)
            throw error
        }
        // Fresh logs: the console history starts at this boot, and no exit value is left over.
        if parsed.isThisMachine, !parsed.isTest {
            _ = unlink(place.logPath)
            for i in 0..<ConsoleLogFollower.maxBackups { _ = unlink("\(place.logPath).\(i)") }
            if let exit = place.exitLogPath { _ = unlink(exit) }
        }
        exitWatcher.unwatch(name)
        state.withLock {
            $0.ended.remove(name)
            $0.endHandled.remove(name)
            $0.intents.removeValue(forKey: name)
            $0.stopping.removeValue(forKey: name)
            $0.guestExits.removeValue(forKey: name)
            $0.addresses.removeValue(forKey: name)
        }
        records.remove(name)
        let cache = self.cache
        let persist = spec.persist
        // A start that fails after the domain existed must not leave an instance behind: the end
        // event of that domain is not published (see ``LibvirtBackendState/abandoned``).
        state.withLock { _ = $0.abandoned.insert(name) }
        let snap: DomainSnapshot
        do {
            snap = try await connection.call { c in
                try LibvirtDomains.create(c, name: name, xml: xml, persist: persist, forwards: forwards, cache: cache)
            }
            state.withLock { _ = $0.abandoned.remove(name) }
        } catch {
            await discard(place)
            throw error
        }
        var inst = makeInstance(snap)
        if inst.consoleLogPath == nil { inst.consoleLogPath = place.logPath }
        state.withLock { $0.known[name] = inst }
        if !persist { records.save(inst) }
        if place.exitLogPath != nil { watchExit(name) }
        // The probe connects to the published port from here: only where the guest runs here too.
        if parsed.isThisMachine, ReadinessSchedule.probedPort(spec.ports) != nil { spawnReadinessProbe(name) }
        hub.emit(.instanceChanged(inst))
        return inst
    }

    /// Removes what ``placement(for:)`` or ``remotePlacement(for:)`` copied for a start that failed.
    func discard(_ place: Placement) async {
        if parsed.isThisMachine || parsed.isTest { place.removeCopies() } else { await removeHostCopies(place) }
    }

    // MARK: - Stop, kill, pause, resume, restart, remove

    /// Runs `body` on the named domain; libvirt errors become `cannot ACTION 'NAME': message`.
    func onDomain(_ name: String, action: String, _ body: @escaping @Sendable (OpaquePointer) -> Int32) async throws {
        try await connection.call { c in
            try LibvirtDomains.withDomain(c, name) { d in
                if body(d) != 0 { throw LibvirtErrors.domain(name, action: action) }
            }
        }
    }

    public func stop(_ name: String, timeoutSeconds: Double) async throws {
        let current = try await instance(named: name)
        guard current.state.isActive else { throw UnitopError.invalidState(name: name, state: current.state, action: "stop") }
        let deadline = Date().addingTimeInterval(max(0, timeoutSeconds))
        state.withLock {
            $0.stopping[name] = deadline
            $0.intents[name] = "stopped (ACPI shutdown)"
        }
        var stoppingNow = current
        stoppingNow.state = .stopping
        stoppingNow.stopDeadline = deadline
        hub.emit(.instanceChanged(stoppingNow))
        do {
            try await onDomain(name, action: "stop") { virDomainShutdown($0) }
            if try await waitUntilInactive(name, until: deadline) { return }
            state.withLock { $0.intents[name] = "stopped: no ACPI shutdown within \(Self.seconds(timeoutSeconds)); destroyed" }
            try await onDomain(name, action: "stop") { virDomainDestroy($0) }
            _ = try await waitUntilInactive(name, until: Date().addingTimeInterval(10))
        } catch {
            state.withLock {
                $0.stopping.removeValue(forKey: name)
                $0.intents.removeValue(forKey: name)
            }
            throw error
        }
    }

    static func seconds(_ t: Double) -> String {
        t == t.rounded() ? "\(Int(t)) s" : String(format: "%.1f s", t)
    }

    /// Waits until the domain is no longer active or `until` passes: woken by its STOPPED event
    /// (no polling); libvirt is asked once after the waiter is registered, and once more at the
    /// deadline in case the event was lost with the connection.
    func waitUntilInactive(_ name: String, until: Date) async throws -> Bool {
        let isInactive: @Sendable () async throws -> Bool = { [connection] in
            try await connection.call { c in
                guard let d = virDomainLookupByName(c, name) else { return true }
                defer { virDomainFree(d) }
                return virDomainIsActive(d) != 1
            }
        }
        if await waitForEnd(name, until: until, alreadyEnded: isInactive) { return true }
        return try await isInactive()
    }

    public func kill(_ name: String) async throws {
        state.withLock { $0.intents[name] = "killed" }
        do {
            try await onDomain(name, action: "kill") { virDomainDestroy($0) }
        } catch {
            _ = state.withLock { $0.intents.removeValue(forKey: name) }
            throw error
        }
    }

    /// Pauses a running guest; any other state is refused, as on the qemu backend (libvirt
    /// itself accepts suspending a paused domain).
    public func pause(_ name: String) async throws {
        try await requireState(name, .running, action: "pause")
        try await onDomain(name, action: "pause") { virDomainSuspend($0) }
    }

    /// Resumes a paused guest; any other state is refused.
    public func resume(_ name: String) async throws {
        try await requireState(name, .paused, action: "resume")
        try await onDomain(name, action: "resume") { virDomainResume($0) }
    }

    func requireState(_ name: String, _ wanted: InstanceState, action: String) async throws {
        let current = try await instance(named: name)
        guard current.state == wanted else { throw UnitopError.invalidState(name: name, state: current.state, action: action) }
    }

    /// Boots the guest again in the same QEMU process, as on the qemu backend (`system_reset`,
    /// then `cont` when paused). Domains run with `<on_reboot>destroy</on_reboot>` (QEMU's
    /// `-no-reboot`), so a guest reboot or triple fault ends the instance, and QEMU would turn
    /// this reset into a shutdown too. QMP `set-action` (through libvirt-qemu) lets resets reset
    /// until the guest's first console output after the reset (the firmware answers a warm reset
    /// with resets of its own), at most ``restartGraceSeconds``, then restores the shutdown
    /// action. The console log just continues: followers keep following and the history keeps
    /// both boots.
    public func restart(_ name: String) async throws {
        let current = try await instance(named: name)
        guard current.state.isActive else { throw UnitopError.invalidState(name: name, state: current.state, action: "restart") }
        if let why = unitop_virqemu_load_error() {
            throw UnitopError.unsupported("restart on libvirt needs \(UNITOP_LIBVIRT_QEMU_SONAME) (\(String(cString: why)))")
        }
        // Output of the new boot: bytes beyond the log's current size, or live console bytes.
        var already = 0
        var output: AsyncThrowingStream<[UInt8], Error>?
        if let log = current.consoleLogPath, canReadLocally(log) {
            var st = stat()
            already = stat(log, &st) == 0 ? Int(st.st_size) : 0
            output = console(name, history: .all, follow: true)
        } else {
            output = try? await consoleSession(name, force: false).listen()
        }
        try await connection.call { c in
            try LibvirtDomains.withDomain(c, name) { d in
                try Self.qmp(d, name, Self.resetAction)
                guard virDomainReset(d, 0) == 0 else {
                    let error = LibvirtErrors.domain(name, action: "restart")
                    try? Self.qmp(d, name, Self.shutdownAction)
                    throw error
                }
                var st: Int32 = 0, reason: Int32 = 0
                if virDomainGetState(d, &st, &reason, 0) == 0, st == Int32(VIR_DOMAIN_PAUSED.rawValue), virDomainResume(d) != 0 {
                    Self.log.warning("cannot resume after a restart", metadata: ["name": "\(name)", "error": "\(LibvirtErrors.last().message)"])
                }
            }
        }
        if let output { await Self.firstBytes(of: output, beyond: already, timeout: Self.restartGraceSeconds) }
        do {
            try await connection.call { c in try LibvirtDomains.withDomain(c, name) { d in try Self.qmp(d, name, Self.shutdownAction) } }
        } catch {
            Self.log.error("cannot restore the reboot action after a restart; a guest reboot will reset instead of ending",
                           metadata: ["name": "\(name)", "error": "\(error)"])
        }
        await refreshAfterAction(name)
    }

    static let resetAction = #"{"execute":"set-action","arguments":{"reboot":"reset"}}"#
    static let shutdownAction = #"{"execute":"set-action","arguments":{"reboot":"shutdown"}}"#
    /// Longest wait for the guest's first output after a restart.
    static let restartGraceSeconds = 10.0

    /// Returns once `stream` has delivered more than `offset` bytes, it ends, or `timeout` passes.
    static func firstBytes(of stream: AsyncThrowingStream<[UInt8], Error>, beyond offset: Int, timeout: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var n = 0
                do {
                    for try await chunk in stream {
                        n += chunk.count
                        if n > offset { return }
                    }
                } catch {}
            }
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9)) }
            await group.next()
            group.cancelAll()
        }
    }

    /// One QMP command through libvirt (`virDomainQemuMonitorCommand`); an error reply throws.
    static func qmp(_ d: OpaquePointer, _ name: String, _ command: String) throws {
        var reply: UnsafeMutablePointer<CChar>?
        guard virDomainQemuMonitorCommand(d, command, &reply, 0) == 0 else { throw LibvirtErrors.domain(name, action: "restart") }
        defer { free(reply) }
        let text = reply.map { String(cString: $0) } ?? ""
        if text.contains("\"error\"") {
            throw UnitopError.failed("cannot restart '\(name)': QEMU answered \(text.prefix(300))")
        }
    }

    /// Publishes the state of `name` after an action that sends no lifecycle event.
    func refreshAfterAction(_ name: String) async {
        guard let fresh = try? await liveInstance(named: name) else { return }
        state.withLock { $0.known[name] = fresh }
        hub.emit(.instanceChanged(fresh))
    }

    public func remove(_ name: String, force: Bool) async throws {
        let live: Instance? = try await {
            do { return try await instance(named: name) } catch UnitopError.instanceNotFound { return nil }
        }()
        guard let live else { throw UnitopError.instanceNotFound(name) }
        if live.state.isActive {
            guard force else { throw UnitopError.invalidState(name: name, state: live.state, action: "remove") }
            state.withLock { $0.intents[name] = "removed" }
            try await onDomain(name, action: "remove") { virDomainDestroy($0) }
            // Let the STOPPED handler finish first: run after the record is removed, it would
            // save the ending again and the removed instance would still be listed.
            _ = await waitForEnd(name, until: Date().addingTimeInterval(Self.eventGraceSeconds), alreadyEnded: { false })
        }
        // Undefine if libvirt still knows it (persistent domains).
        try await connection.call { c in
            guard let d = virDomainLookupByName(c, name) else { return }
            defer { virDomainFree(d) }
            if virDomainIsPersistent(d) == 1, virDomainUndefine(d) != 0 {
                throw LibvirtErrors.domain(name, action: "remove")
            }
        }
        exitWatcher.unwatch(name)
        if live.managed { removeLocalFiles(name: name, logPath: live.consoleLogPath) }
        if live.managed, !parsed.isThisMachine, !parsed.isTest {
            do { try await deleteHostVolumes(Self.instanceVolumeNames(name)) } catch {
                Self.log.warning("cannot remove the instance's volumes", metadata: ["name": "\(name)", "error": "\(error)"])
            }
        }
        records.remove(name)
        let session: LibvirtConsoleSession? = state.withLock {
            $0.known.removeValue(forKey: name)
            $0.ended.insert(name)
            return $0.consoleSessions.removeValue(forKey: name)
        }
        session?.close()
        hub.emit(.instanceRemoved(InstanceID(backend: kind, host: host, name: name)))
    }
}
