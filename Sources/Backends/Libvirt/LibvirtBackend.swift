import Models

/// The libvirt backend for one connection URI (stub; the libvirt work replaces it).
public final class LibvirtBackend: UnikernelBackend, @unchecked Sendable {
    public let kind = "libvirt"
    public let host: String
    public let uri: String

    public init(uri: String, paths: UnitopPaths, config: Config) throws {
        self.uri = uri
        self.host = uri
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
