import Models

/// The embedded QEMU backend (stub; the QEMU backend work replaces it).
public final class QEMUBackend: UnikernelBackend, @unchecked Sendable {
    public let kind = "qemu"
    public let host = "local"
    public let paths: UnitopPaths
    public let config: Config

    public init(paths: UnitopPaths, config: Config) throws {
        self.paths = paths
        self.config = config
    }

    public func instances() async throws -> [Instance] { [] }
    public func instance(named name: String) async throws -> Instance { throw UnitopError.instanceNotFound(name) }
    public func start(_ spec: LaunchSpec) async throws -> Instance { throw UnitopError.unsupported("start") }
    public func stop(_ name: String, timeoutSeconds: Double) async throws { throw UnitopError.instanceNotFound(name) }
    public func kill(_ name: String) async throws { throw UnitopError.instanceNotFound(name) }
    public func pause(_ name: String) async throws { throw UnitopError.instanceNotFound(name) }
    public func resume(_ name: String) async throws { throw UnitopError.instanceNotFound(name) }
    public func restart(_ name: String) async throws { throw UnitopError.instanceNotFound(name) }
    public func remove(_ name: String, force: Bool) async throws { throw UnitopError.instanceNotFound(name) }
    public func console(_ name: String, history: ConsoleHistory, follow: Bool) -> AsyncThrowingStream<[UInt8], Error> {
        AsyncThrowingStream { $0.finish(throwing: UnitopError.instanceNotFound(name)) }
    }
    public func sendConsoleInput(_ name: String, bytes: [UInt8]) async throws { throw UnitopError.instanceNotFound(name) }
    public func events() -> AsyncStream<BackendEvent> { AsyncStream { _ in } }
}
