/// One source of instances: the embedded QEMU backend, or one libvirt connection.
///
/// Implementations keep blocking calls and C pointers inside and expose only `async`
/// operations and value types. Names passed in are validated instance names
/// (``InstanceName``). Errors thrown are ``UnitopError``.
public protocol UnikernelBackend: Sendable {
    /// Which implementation this is.
    var kind: BackendKind { get }
    /// Host label shown in lists (`local`, or a libvirt host).
    var host: String { get }
    /// What this backend can report (exit codes, boot time, pid); front ends show the gaps.
    var capabilities: BackendCapabilities { get }

    /// Every instance this backend knows, including finished ones.
    func instances() async throws -> [Instance]
    /// One instance by name; throws ``UnitopError/instanceNotFound(_:)``.
    func instance(named name: String) async throws -> Instance

    /// Starts an instance and returns once it is running (or throws with the hypervisor's message,
    /// leaving nothing behind).
    func start(_ spec: LaunchSpec) async throws -> Instance
    /// Graceful stop: ACPI powerdown, then escalation after `timeoutSeconds`. Returns when it has ended.
    func stop(_ name: String, timeoutSeconds: Double) async throws
    /// Immediate stop.
    func kill(_ name: String) async throws
    func pause(_ name: String) async throws
    func resume(_ name: String) async throws
    /// Reset the guest (it boots again in the same process).
    func restart(_ name: String) async throws
    /// Forgets a finished instance and its state; with `force`, kills it first.
    func remove(_ name: String, force: Bool) async throws

    /// Console output: `history` first, then live bytes as they arrive, with nothing lost or
    /// doubled at the seam. The stream finishes when the instance has ended and everything was
    /// delivered (or immediately after history when `follow` is false).
    func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error>
    /// Sends bytes to the guest's serial console.
    func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws

    /// A new subscription to state changes, stats (about once a second while subscribed) and
    /// connection changes. Each call returns an independent stream.
    func events() -> AsyncStream<BackendEvent>

    /// Releases what the backend holds (connections, watcher threads, descriptors) and finishes
    /// every event and console stream it handed out. Instances keep running. Idempotent.
    func close()
}
