import Foundation

/// Every host a command covers: the local QEMU backend and each configured libvirt connection,
/// queried in parallel, each with its own deadline, so an unreachable host never delays the rest.
///
/// Front ends address an instance as ``InstanceReference``: `NAME` when it is unique across the
/// fleet, else `HOST/NAME`.
public struct Fleet: Sendable {
    /// The backends, in the order listings show them (local first).
    public let backends: [any UnikernelBackend]
    /// How long one host may take to answer one request.
    public let deadlineSeconds: Double

    public init(backends: [any UnikernelBackend], deadlineSeconds: Double = Fleet.defaultDeadlineSeconds) {
        self.backends = backends
        self.deadlineSeconds = deadlineSeconds
    }

    /// Per-host deadline without a `host_timeout` in the config.
    public static let defaultDeadlineSeconds = 5.0

    /// The host labels, in order.
    public var hosts: [String] { backends.map(\.host) }

    /// Only the backend labelled `host` (or whose libvirt URI is `host`); throws
    /// ``UnitopError/invalidArgument(_:)`` naming the known labels otherwise.
    public func narrowed(to host: String) throws(UnitopError) -> Fleet {
        let match = backends.filter { $0.host == host || ($0 as? any HostURIProviding)?.uri == host }
        guard !match.isEmpty else {
            throw .invalidArgument("unknown host '\(host)': known hosts are \(hosts.joined(separator: ", "))")
        }
        return Fleet(backends: match, deadlineSeconds: deadlineSeconds)
    }

    /// The backend of host `label`, if any.
    public func backend(host label: String) -> (any UnikernelBackend)? {
        backends.first { $0.host == label }
    }

    /// Every instance of every host that answered in time, sorted by host order then name, and
    /// one ``HostFailure`` per host that did not.
    public func instances() async -> FleetListing {
        let results = await eachHost { try await $0.instances() }
        var listing = FleetListing()
        for (backend, result) in zip(backends, results) {
            switch result {
            case .success(let list): listing.instances += list.sorted { $0.name < $1.name }
            case .failure(let error): listing.failures.append(HostFailure(host: backend.host, error: error))
            }
        }
        return listing
    }

    /// The one instance `reference` names, with its backend.
    ///
    /// `HOST/NAME` asks that host only. A bare `NAME` asks every host in parallel: found on one,
    /// that one; found on several, ``UnitopError/failed(_:)`` listing the `HOST/NAME` candidates;
    /// found nowhere, ``UnitopError/instanceNotFound(_:)`` (saying which hosts could not be
    /// asked, when some could not).
    public func resolve(_ reference: InstanceReference) async throws -> ResolvedInstance {
        if let host = reference.host {
            guard let backend = backend(host: host) else {
                throw UnitopError.invalidArgument("unknown host '\(host)' in '\(reference)': known hosts are \(hosts.joined(separator: ", "))")
            }
            let name = reference.name
            switch await HostDeadline.run(seconds: deadlineSeconds, { try await backend.instance(named: name) }) {
            case .success(let inst): return ResolvedInstance(backend: backend, instance: inst, failures: [])
            case .failure(let error as UnitopError): throw error
            case .failure(let error): throw UnitopError.failed(HostFailure(host: host, error: error).description)
            }
        }
        let name = reference.name
        let results = await eachHost { backend -> Instance? in
            do { return try await backend.instance(named: name) } catch UnitopError.instanceNotFound { return nil }
        }
        var found: [ResolvedInstance] = []
        var failures: [HostFailure] = []
        for (backend, result) in zip(backends, results) {
            switch result {
            case .success(let inst?): found.append(ResolvedInstance(backend: backend, instance: inst, failures: []))
            case .success(nil): break
            case .failure(let error): failures.append(HostFailure(host: backend.host, error: error))
            }
        }
        if found.count > 1 {
            let candidates = found.map { "\($0.backend.host)/\(name)" }.joined(separator: ", ")
            throw UnitopError.failed("ambiguous instance name '\(name)': it exists on \(found.count) hosts; name one of \(candidates)")
        }
        guard var one = found.first else {
            if failures.isEmpty { throw UnitopError.instanceNotFound(name) }
            if backends.count == 1, let only = failures.first { throw only.error }
            let unreachable = failures.map(\.host).joined(separator: ", ")
            throw UnitopError.failed("no instance named '\(name)' on the hosts that answered (no answer from \(unreachable))")
        }
        one.failures = failures
        return one
    }

    /// Runs `body` on every backend at once, each under the deadline; results in backend order.
    func eachHost<T: Sendable>(_ body: @escaping @Sendable (any UnikernelBackend) async throws -> T) async -> [Result<T, any Error>] {
        let seconds = deadlineSeconds
        return await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
            for (i, backend) in backends.enumerated() {
                group.addTask { (i, await HostDeadline.run(seconds: seconds) { try await body(backend) }) }
            }
            var out = [Result<T, any Error>?](repeating: nil, count: backends.count)
            for await (i, r) in group { out[i] = r }
            return out.map { $0 ?? .failure(UnitopError.failed("no result")) }
        }
    }
}

/// A backend that is one connection URI (libvirt); lets `--host` take the URI as well as the label.
public protocol HostURIProviding {
    /// The connection URI.
    var uri: String { get }
}

/// An instance found by ``Fleet/resolve(_:)``, with the backend that holds it.
public struct ResolvedInstance: Sendable {
    public let backend: any UnikernelBackend
    public let instance: Instance
    /// Hosts that could not be asked (their lines belong on stderr).
    public var failures: [HostFailure]
    public var name: String { instance.name }
}

/// What ``Fleet/instances()`` found: the rows, and the hosts that did not answer.
public struct FleetListing: Sendable {
    public var instances: [Instance] = []
    public var failures: [HostFailure] = []
    public init() {}
}

/// One host that could not be asked: `lab1: unreachable: no answer within 5.0 s`.
public struct HostFailure: Sendable, CustomStringConvertible {
    public let host: String
    public let error: any Error

    public init(host: String, error: any Error) { self.host = host; self.error = error }

    /// The stderr line (without newline): `HOST: unreachable: WHY` when the host could not be
    /// reached in time, `HOST: failed: WHY` when it answered with an error.
    public var description: String {
        switch error {
        case let e as UnitopError:
            if case .connection(_, let m) = e { return "\(host): unreachable: \(m)" }
            return "\(host): failed: \(e.description)"
        case let e as HostDeadline.Overrun: return "\(host): unreachable: \(e.description)"
        default: return "\(host): failed: \(error)"
        }
    }

    /// Whether the host did not answer at all (as opposed to answering with an error).
    public var isUnreachable: Bool {
        if error is HostDeadline.Overrun { return true }
        if case .connection = error as? UnitopError { return true }
        return false
    }
}
