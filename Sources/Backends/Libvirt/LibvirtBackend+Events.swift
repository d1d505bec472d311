import CLibvirt
import Foundation
import Models

extension LibvirtBackend {
    // MARK: - Subscriptions

    /// Backend events. A new subscription first gets the connection state and the instances
    /// known now (as on the qemu backend); if none were listed yet, a listing follows.
    public func events() -> AsyncStream<BackendEvent> {
        let connected = connection.isConnected
        let (stream, needsListing) = hub.subscribe { [self] in
            let (known, listed) = state.withLock { ($0.known, $0.listedOnce) }
            var initial: [BackendEvent] = connected ? [.connection(backend: kind, host: host, .connected)] : []
            initial += known.values.sorted { $0.name < $1.name }.map { .instanceChanged($0) }
            return (initial, !listed)
        }
        if !connected || needsListing {
            Task { [weak self] in
                guard let self else { return }
                do {
                    if !connected {
                        try await self.connection.ensureConnected()
                        self.hub.emit(.connection(backend: self.kind, host: self.host, .connected))
                    }
                    for inst in try await self.instances() { self.hub.emit(.instanceChanged(inst)) }
                } catch {
                    let message = (error as? UnitopError)?.description ?? "\(error)"
                    Self.log.warning("cannot connect for a subscription", metadata: ["uri": "\(self.uri)", "error": "\(message)"])
                    if !self.connection.isConnected {
                        self.hub.emit(.connection(backend: self.kind, host: self.host, .disconnected(message: message)))
                        self.connection.reconnectIfDown()
                    }
                }
            }
        }
        return stream
    }

    func subscribersChanged(_ n: Int) {
        let stale: Task<Void, Never>? = state.withLock {
            if n > 0, $0.pollTask == nil {
                $0.pollTask = Task.detached { [weak self] in await self?.pollStats() }
            } else if n == 0, let t = $0.pollTask {
                $0.pollTask = nil
                return t
            }
            return nil
        }
        stale?.cancel()
    }

    /// About once a second while subscribed: CPU/RSS stats, and state changes missed by events.
    private func pollStats() async {
        var failing = false
        while !Task.isCancelled {
            if connection.isConnected {
                do {
                    let snaps = try await listSnapshots(withStats: true)
                    failing = false
                    publishSample(snaps)
                } catch {
                    if !failing { Self.log.warning("stats poll failed", metadata: ["uri": "\(uri)", "error": "\(error)"]) }
                    failing = true
                }
            }
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    private func publishSample(_ snaps: [DomainSnapshot]) {
        let stats = sampler.sample(snaps, nowNs: LibvirtStatsSampler.monotonicNs())
        var batch: [InstanceID: InstanceStats] = [:]
        for (name, st) in stats { batch[InstanceID(backend: kind, host: host, name: name)] = st }
        if !batch.isEmpty { hub.emit(.statsBatch(batch)) }
        for s in snaps {
            let inst = makeInstance(s)
            if inst.state.isActive, inst.managed, s.metadata?.workload?.exitLogPath != nil { watchExit(s.name) }
            let changed: Bool = state.withLock {
                // A sample taken just before the end event was handled must not revive it.
                if inst.state.isActive, $0.ended.contains(s.name) { return false }
                let old = $0.known[s.name]
                $0.known[s.name] = inst
                return old == nil || old?.state != inst.state || old?.readyMillis != inst.readyMillis
                    || old?.addresses != inst.addresses
            }
            if changed { hub.emit(.instanceChanged(inst)) }
        }
    }

    // MARK: - Connection and lifecycle events

    func handle(_ event: LibvirtConnection.Event) async {
        switch event {
        case .disconnected(let message):
            Self.log.warning("connection lost", metadata: ["uri": "\(uri)", "reason": "\(message)"])
            hub.emit(.connection(backend: kind, host: host, .disconnected(message: message)))
        case .connected:
            Self.log.info("reconnected", metadata: ["uri": "\(uri)"])
            hub.emit(.connection(backend: kind, host: host, .connected))
            await refreshAfterReconnect()
        case .lifecycle(let name, let event, let detail):
            await handleLifecycle(name: name, event: event, detail: detail)
        }
    }

    /// After a reconnection: fresh state of every domain; those gone meanwhile are marked ended.
    private func refreshAfterReconnect() async {
        let before: [String: Instance] = state.withLock { $0.known }
        let list: [Instance]
        do { list = try await instances() } catch {
            Self.log.warning("cannot list domains after reconnecting", metadata: ["uri": "\(uri)", "error": "\(error)"])
            return
        }
        let names = Set(list.map(\.name))
        for inst in list { hub.emit(.instanceChanged(inst)) }
        for (name, old) in before where !names.contains(name) && old.state.isActive {
            var gone = finishedRecord(old)
            if gone.state.isActive || gone.exitReason?.hasPrefix("ended while unitop") == true {
                gone.state = .stopped
                gone.exitReason = "ended while the connection to libvirtd was lost"
                gone.stateDetail = gone.exitReason
            }
            if gone.managed { records.save(gone) }
            hub.emit(.instanceChanged(gone))
        }
    }

    /// A domain that was not in a stopped event: fresh state from libvirt, published.
    private func refresh(_ name: String) async {
        do {
            guard let fresh = try await liveInstance(named: name) else { return }
            state.withLock { $0.known[name] = fresh }
            hub.emit(.instanceChanged(fresh))
        } catch {
            Self.log.debug("cannot read a domain after its event", metadata: ["name": "\(name)", "error": "\(error)"])
        }
    }

    private func handleLifecycle(name: String, event: Int32, detail: Int32) async {
        if LibvirtDomainState.isUndefined(event: event) {
            let stillThere = ((try? await liveInstance(named: name)) ?? nil) != nil
            if !stillThere { hub.emit(.instanceRemoved(InstanceID(backend: kind, host: host, name: name))) }
            return
        }
        guard LibvirtDomainState.fromEvent(event: event, detail: detail) != nil else { return }
        guard LibvirtDomainState.isStopped(event: event) else {
            if event == Int32(VIR_DOMAIN_EVENT_STARTED.rawValue) {
                state.withLock {
                    $0.ended.remove(name)
                    $0.endHandled.remove(name)
                }
            }
            await refresh(name)
            return
        }
        // Ended: a transient domain is already gone from libvirt, so build from what we knew.
        if state.withLock({ $0.abandoned.remove(name) != nil }) { return }
        let (intent, last, session): (String?, Instance?, LibvirtConsoleSession?) = state.withLock {
            $0.ended.insert(name)
            $0.stopping.removeValue(forKey: name)
            return ($0.intents.removeValue(forKey: name), $0.known[name], $0.consoleSessions.removeValue(forKey: name))
        }
        session?.close()
        var final: Instance
        if let fresh = try? await liveInstance(named: name), !fresh.state.isActive {
            final = fresh
        } else if let last {
            final = last
        } else if let r = records.load(name) {
            final = r
        } else {
            final = Instance(name: name, backend: kind, host: host, image: "", state: .stopped, memoryMiB: 0, cpus: 0, managed: false)
        }
        // A value the guest wrote decides first, then what this process meant, then the event.
        if let value = await exitValueAtEnd(name, detail: detail) {
            let o = GuestExit.outcome(debugExitValue: value)
            (final.state, final.exitReason, final.exitCode) = (o.state, o.reason, o.exitCode)
        } else if let intent {
            (final.state, final.exitReason, final.exitCode) = (.stopped, intent, nil)
        } else {
            let o = LibvirtEnding(stoppedDetail: detail).outcome(hasExitDevice: hasExitLog(name))
            (final.state, final.exitReason, final.exitCode) = (o.state, o.reason, o.exitCode)
        }
        final.stopDeadline = nil
        final.stats = nil
        final.stateDetail = final.exitReason
        if final.managed, records.load(name) != nil { records.save(final) }
        let waiters: [AsyncStream<Bool>.Continuation] = state.withLock {
            $0.known[name] = final
            $0.endHandled.insert(name)
            return Array(($0.endWaiters.removeValue(forKey: name) ?? [:]).values)
        }
        for w in waiters { w.yield(true); w.finish() }
        hub.emit(.instanceChanged(final))
    }

    // MARK: - Waiting for an end

    /// Waits until this process has handled the end of `name` (its STOPPED event) or `deadline`
    /// passes; true when it ended. No polling: the lifecycle handler wakes the waiter.
    /// `alreadyEnded` is asked once after the waiter is registered (so no end is missed) and may
    /// look at libvirt.
    func waitForEnd(_ name: String, until deadline: Date, alreadyEnded: @Sendable () async throws -> Bool) async -> Bool {
        let (signal, continuation) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        let handled: Bool = state.withLock {
            if $0.endHandled.contains(name) { return true }
            $0.endWaiters[name, default: [:]][id] = continuation
            return false
        }
        if handled { return true }
        defer { state.withLock { _ = $0.endWaiters[name]?.removeValue(forKey: id) } }
        if (try? await alreadyEnded()) == true { return true }
        let timer = Task {
            let wait = deadline.timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
            continuation.yield(false)
            continuation.finish()
        }
        defer { timer.cancel() }
        for await ended in signal { return ended }
        return false
    }
}
