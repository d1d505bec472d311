/// Whether a backend's connection to its host is usable.
public enum ConnectionStatus: Sendable, Equatable {
    case connected
    case connecting
    /// Lost; the backend retries. `message` says why.
    case disconnected(message: String)
}

/// Something that happened in a backend, delivered through ``UnikernelBackend/events()``.
public enum BackendEvent: Sendable, Equatable {
    /// An instance appeared or changed (state, pid, exit record, …). Carries the full value.
    case instanceChanged(Instance)
    /// An instance was removed (forgotten).
    case instanceRemoved(InstanceID)
    /// The resource samples of one sampling tick for all running instances of a backend, delivered
    /// together so a consumer wakes once per tick instead of once per instance.
    case statsBatch([InstanceID: InstanceStats])
    /// The connection to a host changed; `host` is the host label.
    case connection(backend: BackendKind, host: String, ConnectionStatus)
    /// How long the last round trip to a host took (a remote libvirt host's listing or stats poll),
    /// in milliseconds; `host` is the host label.
    case hostLatency(backend: BackendKind, host: String, milliseconds: Double)
}
