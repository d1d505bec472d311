/// What a backend can report, so front ends show "not available on this backend" instead of a
/// silent blank. Every backend supports the whole lifecycle and the console; these are the facts
/// that differ between hypervisor front ends.
public struct BackendCapabilities: Sendable, Equatable {
    /// The guest's exit code (isa-debug-exit value, Unikraft's convention). QEMU's own exit status
    /// is seen by its supervisor on the qemu backend, and through the exit log on local libvirt
    /// hosts; a remote libvirt host does not report it.
    public var exitCodes: Bool
    /// Launch to first console byte (`bootMillis`).
    public var bootTime: Bool
    /// The hypervisor's process id.
    public var processID: Bool

    public init(exitCodes: Bool, bootTime: Bool, processID: Bool) {
        self.exitCodes = exitCodes
        self.bootTime = bootTime
        self.processID = processID
    }

    /// Everything (the qemu backend, the in-memory fake).
    public static let all = BackendCapabilities(exitCodes: true, bootTime: true, processID: true)
}
