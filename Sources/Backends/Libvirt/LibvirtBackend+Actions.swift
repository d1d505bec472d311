import CLibvirt
import Foundation
import Models

extension LibvirtBackend {
    // MARK: - Start

    /// Where the kernel and the console log of `name` live on the libvirt host.
    struct Placement {
        var kernelPath: String
        /// Set when the kernel was copied for QEMU (removed with the instance).
        var kernelCopy: String?
        var logPath: String
    }

    /// - session URIs: QEMU runs as the user, so the image is used in place and the log goes under
    ///   `STATE/libvirt/session/NAME/console.log`.
    /// - system URIs on this machine: QEMU runs as `libvirt-qemu` and cannot read most home or
    ///   work directories, and libvirt would chown the kernel it boots; the image is copied to
    ///   `/var/lib/libvirt/images/unitop/NAME.kernel` and the log is
    ///   `/var/log/libvirt/qemu/unitop-NAME.console.log` (written by virtlogd as root).
    /// - remote hosts: the image path must exist on that host; the log uses the system path there.
    func placement(for spec: LaunchSpec) throws -> Placement {
        if parsed.isSession {
            let dir = paths.stateDirectory + "/libvirt/session/" + spec.name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return Placement(kernelPath: spec.imagePath, kernelCopy: nil, logPath: dir + "/console.log")
        }
        let log = Self.systemLogDirectory + "/unitop-" + spec.name + ".console.log"
        guard parsed.isThisMachine, !parsed.isTest else {
            return Placement(kernelPath: spec.imagePath, kernelCopy: nil, logPath: log)
        }
        let copy = Self.systemImageDirectory + "/" + spec.name + ".kernel"
        do {
            try FileManager.default.createDirectory(atPath: Self.systemImageDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: spec.imagePath, toPath: copy)
            _ = chmod(copy, 0o644)
        } catch {
            throw UnitopError.io(path: copy, message: "cannot copy the image for libvirt-qemu: \(error.localizedDescription)")
        }
        return Placement(kernelPath: copy, kernelCopy: copy, logPath: log)
    }

    /// Removes the files unitop made for `name` on this machine.
    func removeLocalFiles(name: String, logPath: String?) {
        guard parsed.isThisMachine, !parsed.isTest, (try? InstanceName.validate(name)) != nil else { return }
        if !parsed.isSession {
            _ = unlink(Self.systemImageDirectory + "/" + name + ".kernel")
            _ = unlink(Self.systemLogDirectory + "/" + name + ".log")  // libvirt's own log of our domain
        }
        if let logPath {
            _ = unlink(logPath)
            for i in 0..<ConsoleLogFollower.maxBackups { _ = unlink("\(logPath).\(i)") }
            if parsed.isSession { _ = rmdir((logPath as NSString).deletingLastPathComponent) }
        }
    }

    /// Whether the host offers KVM for x86_64 guests (from the capabilities XML; cached).
    func hostHasKVM() async throws -> Bool {
        if let k = lock.withLock({ kvmCache }) { return k }
        let uri = self.uri
        let caps: String = try await connection.call { c in
            guard let raw = virConnectGetCapabilities(c) else { throw LibvirtErrors.connection(uri, action: "read capabilities") }
            defer { free(raw) }
            return String(cString: raw)
        }
        let kvm = LibvirtCapabilities.hasKVM(capabilitiesXML: caps)
        lock.withLock { kvmCache = kvm }
        return kvm
    }

    public func start(_ spec: LaunchSpec) async throws -> Instance {
        try LaunchLimits.validate(spec)
        let name = spec.name
        if parsed.isThisMachine, !parsed.isTest, !FileManager.default.isReadableFile(atPath: spec.imagePath) {
            throw UnitopError.imageNotFound(spec.imagePath)
        }
        let kvm: Bool
        switch spec.accel {
        case .kvm: kvm = true
        case .tcg: kvm = false
        case .auto: kvm = try await hostHasKVM()
        }
        if let existing = try? await instance(named: name), existing.state.isActive || !existing.managed || existing.state == .created {
            throw UnitopError.instanceExists(name)
        }
        let place = try placement(for: spec)
        let startedAt = Date()
        let meta = DomainMetadata(image: spec.imagePath, kernelCopy: place.kernelCopy, append: spec.append,
                                  machine: spec.machine, accel: kvm ? "kvm" : "tcg", startedAt: startedAt, logPath: place.logPath)
        let xml: String
        do {
            xml = try DomainXMLBuilder(
                name: name, kernelPath: place.kernelPath, append: spec.append, memoryMiB: spec.memoryMiB,
                cpus: spec.cpus, machine: spec.machine, kvm: kvm, cpuModel: spec.cpuModel ?? config.qemu.cpu,
                logPath: place.logPath, metadata: meta).build()
        } catch {
            if let copy = place.kernelCopy { _ = unlink(copy) }
            throw error
        }
        // A fresh log: the console history starts at this boot.
        if parsed.isThisMachine, !parsed.isTest {
            _ = unlink(place.logPath)
            for i in 0..<ConsoleLogFollower.maxBackups { _ = unlink("\(place.logPath).\(i)") }
        }
        lock.withLock {
            ended.remove(name)
            endHandled.remove(name)
            intents.removeValue(forKey: name)
            stopping.removeValue(forKey: name)
        }
        records.remove(name)
        let cache = self.cache
        let persist = spec.persist
        let snap: DomainSnapshot
        do {
            snap = try await connection.call { c in
                var dom: OpaquePointer?
                if persist {
                    guard let d = virDomainDefineXML(c, xml) else {
                        throw UnitopError.launchFailed(name: name, message: LibvirtErrors.last().message)
                    }
                    if virDomainCreate(d) != 0 {
                        let message = LibvirtErrors.last().message
                        _ = virDomainUndefine(d)
                        virDomainFree(d)
                        throw UnitopError.launchFailed(name: name, message: message)
                    }
                    dom = d
                } else {
                    dom = virDomainCreateXML(c, xml, 0)
                    if dom == nil { throw UnitopError.launchFailed(name: name, message: LibvirtErrors.last().message) }
                }
                guard let d = dom else { throw UnitopError.launchFailed(name: name, message: "no domain") }
                defer { virDomainFree(d) }
                guard let s = LibvirtDomains.snapshot(d, cache: cache) else {
                    throw UnitopError.launchFailed(name: name, message: "the domain vanished right after starting: \(LibvirtErrors.last().message)")
                }
                return s
            }
        } catch {
            if let copy = place.kernelCopy { _ = unlink(copy) }
            throw error
        }
        var inst = makeInstance(snap)
        if inst.consoleLogPath == nil { inst.consoleLogPath = place.logPath }
        lock.withLock { known[name] = inst }
        if !persist { records.save(inst) }
        hub.emit(.instanceChanged(inst))
        return inst
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
        lock.withLock {
            stopping[name] = deadline
            intents[name] = "stopped (ACPI shutdown)"
        }
        var stoppingNow = current
        stoppingNow.state = .stopping
        stoppingNow.stopDeadline = deadline
        hub.emit(.instanceChanged(stoppingNow))
        do {
            try await onDomain(name, action: "stop") { virDomainShutdown($0) }
            if try await waitUntilInactive(name, until: deadline) { return }
            lock.withLock { intents[name] = "stopped: no ACPI shutdown within \(Self.seconds(timeoutSeconds)); destroyed" }
            try await onDomain(name, action: "stop") { virDomainDestroy($0) }
            _ = try await waitUntilInactive(name, until: Date().addingTimeInterval(10))
        } catch {
            lock.withLock {
                stopping.removeValue(forKey: name)
                intents.removeValue(forKey: name)
            }
            throw error
        }
    }

    static func seconds(_ t: Double) -> String {
        t == t.rounded() ? "\(Int(t)) s" : String(format: "%.1f s", t)
    }

    /// Polls the domain state (every 100 ms) until it is no longer active or `until` passes.
    func waitUntilInactive(_ name: String, until: Date) async throws -> Bool {
        while true {
            let active: Bool = try await connection.call { c in
                guard let d = virDomainLookupByName(c, name) else { return false }
                defer { virDomainFree(d) }
                return virDomainIsActive(d) == 1
            }
            if !active { return true }
            if Date() >= until { return false }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    public func kill(_ name: String) async throws {
        lock.withLock { intents[name] = "killed" }
        do {
            try await onDomain(name, action: "kill") { virDomainDestroy($0) }
        } catch {
            _ = lock.withLock { intents.removeValue(forKey: name) }
            throw error
        }
    }

    public func pause(_ name: String) async throws {
        try await onDomain(name, action: "pause") { virDomainSuspend($0) }
    }

    public func resume(_ name: String) async throws {
        try await onDomain(name, action: "resume") { virDomainResume($0) }
    }

    /// Marks a stop that is part of ``restart(_:)`` (its STOPPED event is not an end).
    static let restartIntent = "\u{0}restart"

    /// Boots the guest again. `virDomainReset` cannot be used: with `<on_reboot>destroy</on_reboot>`
    /// (so a guest reboot or triple fault ends the instance) QEMU turns any reset into an exit. So
    /// the domain is destroyed and started again from its own definition, with the console log
    /// appended to (the history of the previous boot stays; followers keep following).
    public func restart(_ name: String) async throws {
        let current = try await instance(named: name)
        guard current.state.isActive else { throw UnitopError.invalidState(name: name, state: current.state, action: "restart") }
        lock.withLock { intents[name] = Self.restartIntent }
        do {
            try await connection.call { c in
                try LibvirtDomains.withDomain(c, name) { d in
                    let persistent = virDomainIsPersistent(d) == 1
                    var xml: String?
                    if !persistent {
                        let flags = UInt32(VIR_DOMAIN_XML_INACTIVE.rawValue | VIR_DOMAIN_XML_SECURE.rawValue)
                        guard let raw = virDomainGetXMLDesc(d, flags) else { throw LibvirtErrors.domain(name, action: "restart") }
                        xml = String(cString: raw).replacingOccurrences(of: "append='off'", with: "append='on'")
                            .replacingOccurrences(of: "append=\"off\"", with: "append=\"on\"")
                        free(raw)
                    }
                    if virDomainDestroy(d) != 0 { throw LibvirtErrors.domain(name, action: "restart") }
                    if persistent {
                        if virDomainCreate(d) != 0 { throw LibvirtErrors.domain(name, action: "restart") }
                    } else if let xml {
                        guard let nd = virDomainCreateXML(c, xml, 0) else {
                            throw UnitopError.failed("cannot restart '\(name)': \(LibvirtErrors.last().message)")
                        }
                        virDomainFree(nd)
                    }
                }
            }
        } catch {
            _ = lock.withLock { intents.removeValue(forKey: name) }
            throw error
        }
    }

    public func remove(_ name: String, force: Bool) async throws {
        let live: Instance? = try await {
            do { return try await instance(named: name) } catch UnitopError.instanceNotFound { return nil }
        }()
        guard let live else { throw UnitopError.instanceNotFound(name) }
        if live.state.isActive {
            guard force else { throw UnitopError.invalidState(name: name, state: live.state, action: "remove") }
            lock.withLock { intents[name] = "removed" }
            try await onDomain(name, action: "remove") { virDomainDestroy($0) }
        }
        // Undefine if libvirt still knows it (persistent domains).
        try await connection.call { c in
            guard let d = virDomainLookupByName(c, name) else { return }
            defer { virDomainFree(d) }
            if virDomainIsPersistent(d) == 1, virDomainUndefine(d) != 0 {
                throw LibvirtErrors.domain(name, action: "remove")
            }
        }
        if live.managed { removeLocalFiles(name: name, logPath: live.consoleLogPath) }
        records.remove(name)
        let session: LibvirtConsoleSession? = lock.withLock {
            known.removeValue(forKey: name)
            ended.insert(name)
            return consoleSessions.removeValue(forKey: name)
        }
        session?.close()
        hub.emit(.instanceRemoved(InstanceID(backend: kind, host: host, name: name)))
    }
}
