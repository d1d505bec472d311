import CLibvirt
import Foundation
import Models
import Synchronization

/// A libvirt C pointer that may cross threads inside the backend (never outside it).
///
/// `@unchecked`: libvirt's connection, domain and stream objects are thread-safe and reference
/// counted (libvirt locks each object internally); this wrapper is only handed between the
/// connection's serial queue, the event loop thread and the opening thread.
struct LibvirtPointer: @unchecked Sendable {
    let raw: OpaquePointer
}

/// One libvirt connection (one URI) with its own serial queue for blocking calls.
///
/// - Opening runs on a separate thread and gives up after ``connectTimeout`` (ssh/tcp can hang).
/// - Keepalive plus a close callback detect a lost daemon; the connection then retries with
///   backoff (1 s, 2 s, 4 s … at most 30 s) and reports ``Event/connected`` when back. While it is
///   down, calls fail fast with a ``UnitopError/connection(uri:message:)``.
/// - Lifecycle events of every domain arrive as ``Event/lifecycle(name:event:detail:)``.
///
/// Checked Sendable: the `virConnectPtr` is in a ``LibvirtPointer`` (inside ``Session``); what
/// changes is in `shared` (a `Mutex`); blocking calls on the pointer run on `queue` only.
final class LibvirtConnection: Sendable {
    enum Event: Sendable {
        case connected
        case disconnected(String)
        case lifecycle(name: String, event: Int32, detail: Int32)
    }

    let uri: String
    let connectTimeout: Double
    /// Receives events on the libvirt event thread or a background queue; must not block.
    let onEvent: @Sendable (Event) -> Void

    private let queue: DispatchQueue
    /// What changes, under one lock.
    private struct Shared {
        var state: State = .idle
        var attemptCounter = 0
        var reconnecting = false
        var isShutDown = false
        /// The reconnection loop waiting for an attempt to finish (see ``waitForAttempt(_:)``).
        var attemptWaiter: (attempt: Int, continuation: CheckedContinuation<Bool, Never>)?
    }
    private let shared = Mutex(Shared())

    private enum State {
        case idle
        case connecting(attempt: Int, waiters: [CheckedContinuation<LibvirtPointer, Error>], failFast: Bool)
        case connected(Session)
        case down(message: String)
    }

    /// An open virConnectPtr plus the callbacks registered on it (written on the opening thread
    /// before the session is published, read in `teardown`).
    final class Session: Sendable {
        let pointer: LibvirtPointer
        private let callbacks = Mutex((lifecycleID: Int32(-1), closeRegistered: false))
        var lifecycleID: Int32 {
            get { callbacks.withLock { $0.lifecycleID } }
            set { callbacks.withLock { $0.lifecycleID = newValue } }
        }
        var closeRegistered: Bool {
            get { callbacks.withLock { $0.closeRegistered } }
            set { callbacks.withLock { $0.closeRegistered = newValue } }
        }
        init(_ p: OpaquePointer) { pointer = LibvirtPointer(raw: p) }
    }

    /// What the C callbacks get as their opaque pointer (retained by libvirt, released by its free callback).
    private final class CallbackBox {
        weak var connection: LibvirtConnection?
        let session: Session
        init(_ c: LibvirtConnection, _ s: Session) { connection = c; session = s }
    }

    init(uri: String, connectTimeout: Double = 10, onEvent: @escaping @Sendable (Event) -> Void) {
        self.uri = uri
        self.connectTimeout = connectTimeout
        self.onEvent = onEvent
        self.queue = DispatchQueue(label: "unitop.libvirt.\(uri)")
    }

    deinit {
        if case .connected(let s) = shared.withLock({ $0.state }) { Self.teardown(s) }
    }

    /// Whether the connection is currently open.
    var isConnected: Bool {
        shared.withLock { if case .connected = $0.state { return true } else { return false } }
    }

    /// Runs `body` with the connection on this connection's serial queue.
    func call<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let p = try await acquire()
        return try await withCheckedThrowingContinuation { cont in
            queue.async {
                defer { virConnectClose(p.raw) }  // drops the reference taken by acquire()
                do { cont.resume(returning: try body(p.raw)) } catch { cont.resume(throwing: error) }
            }
        }
    }

    /// Opens the connection if needed (waiting at most ``connectTimeout``); throws when it is down.
    func ensureConnected() async throws {
        let p = try await acquire()
        queue.async { virConnectClose(p.raw) }
    }

    /// Closes the connection and stops reconnecting.
    func shutdown() {
        let (session, waiter): (Session?, CheckedContinuation<Bool, Never>?) = shared.withLock { m in
            m.isShutDown = true
            let w = m.attemptWaiter?.continuation
            m.attemptWaiter = nil
            if case .connected(let s) = m.state { m.state = .down(message: "closed"); return (s, w) }
            return (nil, w)
        }
        waiter?.resume(returning: false)
        if let session { queue.async { Self.teardown(session) } }
    }

    /// Starts the reconnection loop if the connection is down and nobody is retrying (used when
    /// the first open failed while someone is subscribed to events).
    func reconnectIfDown() {
        let start: Bool = shared.withLock { m in
            if m.isShutDown || m.reconnecting { return false }
            switch m.state {
            case .idle, .down: m.reconnecting = true; return true
            default: return false
            }
        }
        if start { startReconnecting() }
    }

    // MARK: - Opening

    /// A referenced pointer (the caller must `virConnectClose` it once done).
    private func acquire() async throws -> LibvirtPointer {
        enum Step { case ready(LibvirtPointer), wait, open(Int), fail(String) }
        let uri = self.uri
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<LibvirtPointer, Error>) in
            let step: Step = shared.withLock { m in
                if m.isShutDown { return .fail("connection closed") }
                switch m.state {
                case .connected(let s):
                    virConnectRef(s.pointer.raw)
                    return .ready(s.pointer)
                case .connecting(let a, var waiters, let failFast):
                    if failFast { return .fail("disconnected, reconnecting") }
                    waiters.append(cont)
                    m.state = .connecting(attempt: a, waiters: waiters, failFast: false)
                    return .wait
                case .down(let message) where m.reconnecting:
                    return .fail("disconnected (\(message)); reconnecting")
                case .idle, .down:
                    m.attemptCounter += 1
                    m.state = .connecting(attempt: m.attemptCounter, waiters: [cont], failFast: false)
                    return .open(m.attemptCounter)
                }
            }
            switch step {
            case .ready(let p): cont.resume(returning: p)
            case .wait: break
            case .open(let a): startOpen(attempt: a)
            case .fail(let m): cont.resume(throwing: UnitopError.connection(uri: uri, message: m))
            }
        }
    }

    /// Opens on a dedicated thread; a timer fails the attempt if libvirt does not answer in time.
    private func startOpen(attempt: Int) {
        try? LibvirtEventLoop.ensureRunning()
        let uri = self.uri
        let thread = Thread { [weak self] in
            guard let raw = virConnectOpen(uri) else {
                let message = LibvirtErrors.last("virConnectOpen failed").message
                self?.finishOpen(attempt: attempt, result: .failure(.connection(uri: uri, message: message)))
                return
            }
            let session = Session(raw)
            if let self { self.register(session) }
            guard let self else { Self.teardown(session); return }
            self.finishOpen(attempt: attempt, result: .success(session))
        }
        thread.name = "unitop-libvirt-open"
        thread.start()
        let timeout = connectTimeout
        // Not the global concurrent queue: its few threads can all be blocked by other work, which
        // would delay the timeout arbitrarily.
        Self.timerQueue.asyncAfter(deadline: .now() + timeout) { [weak self] in
            self?.finishOpen(attempt: attempt, result: .failure(.connection(
                uri: uri, message: "no answer within \(Int(timeout)) s (host unreachable or ssh waiting for input?)")))
        }
    }

    private static let timerQueue = DispatchQueue(label: "unitop.libvirt.connect-timeouts")

    private func finishOpen(attempt: Int, result: Result<Session, UnitopError>) {
        let (waiters, loop): ([CheckedContinuation<LibvirtPointer, Error>]?, CheckedContinuation<Bool, Never>?) = shared.withLock { m in
            guard case .connecting(let a, let w, _) = m.state, a == attempt, !m.isShutDown else { return (nil, nil) }
            switch result {
            case .success(let s):
                m.state = .connected(s)
                for _ in w { virConnectRef(s.pointer.raw) }
            case .failure(let e):
                m.state = .down(message: e.description)
            }
            var loop: CheckedContinuation<Bool, Never>?
            if let waiter = m.attemptWaiter, waiter.attempt == attempt {
                loop = waiter.continuation
                m.attemptWaiter = nil
            }
            return (w, loop)
        }
        if case .failure(let e) = result {
            LibvirtBackend.log.debug("libvirt connection attempt failed", metadata: ["uri": "\(uri)", "error": "\(e.description)"])
        }
        if case .success = result { loop?.resume(returning: true) } else { loop?.resume(returning: false) }
        guard let waiters else {
            // Stale attempt (timed out earlier or shut down): close what arrived late.
            if case .success(let s) = result { queue.async { Self.teardown(s) } }
            return
        }
        switch result {
        case .success(let s): for w in waiters { w.resume(returning: s.pointer) }
        case .failure(let e): for w in waiters { w.resume(throwing: e) }
        }
    }

    /// Keepalive, close callback and lifecycle events (on the opening thread, before publishing).
    private func register(_ session: Session) {
        let p = session.pointer.raw
        _ = virConnectSetKeepAlive(p, 5, 3)  // unsupported by test:/// (returns non-zero): harmless
        let closeBox = Unmanaged.passRetained(CallbackBox(self, session)).toOpaque()
        let closeRC = virConnectRegisterCloseCallback(p, Self.closeFunc, closeBox, { opaque in
            if let opaque { Unmanaged<CallbackBox>.fromOpaque(opaque).release() }
        })
        if closeRC == 0 { session.closeRegistered = true } else { Unmanaged<CallbackBox>.fromOpaque(closeBox).release() }

        let eventBox = Unmanaged.passRetained(CallbackBox(self, session)).toOpaque()
        let id = unitop_vir_register_lifecycle(p, { _, dom, event, detail, opaque in
            guard let opaque, let dom, let cName = virDomainGetName(dom) else { return 0 }
            let box = Unmanaged<CallbackBox>.fromOpaque(opaque).takeUnretainedValue()
            box.connection?.onEvent(.lifecycle(name: String(cString: cName), event: event, detail: detail))
            return 0
        }, eventBox, { opaque in
            if let opaque { Unmanaged<CallbackBox>.fromOpaque(opaque).release() }
        })
        if id >= 0 { session.lifecycleID = id } else { Unmanaged<CallbackBox>.fromOpaque(eventBox).release() }
    }

    /// The close callback; the same pointer is needed to unregister it.
    private static let closeFunc: virConnectCloseFunc = { _, reason, opaque in
        guard let opaque else { return }
        let box = Unmanaged<CallbackBox>.fromOpaque(opaque).takeUnretainedValue()
        box.connection?.handleClosed(box.session, reason: reason)
    }

    /// Unregisters callbacks and drops our reference (on the queue, never inside a callback).
    private static func teardown(_ session: Session) {
        let p = session.pointer.raw
        if session.lifecycleID >= 0 { _ = virConnectDomainEventDeregisterAny(p, session.lifecycleID) }
        if session.closeRegistered { _ = virConnectUnregisterCloseCallback(p, closeFunc) }
        virConnectClose(p)
    }

    // MARK: - Loss and reconnection

    private func handleClosed(_ session: Session, reason: Int32) {
        let message: String
        switch UInt32(bitPattern: reason) {
        case VIR_CONNECT_CLOSE_REASON_EOF.rawValue: message = "connection closed by libvirtd (daemon stopped or restarted)"
        case VIR_CONNECT_CLOSE_REASON_KEEPALIVE.rawValue: message = "libvirtd stopped answering (keepalive timeout)"
        case VIR_CONNECT_CLOSE_REASON_CLIENT.rawValue: message = "connection closed"
        default: message = "connection lost (I/O error)"
        }
        let isCurrent: Bool = shared.withLock { m in
            guard case .connected(let s) = m.state, s === session, !m.isShutDown else { return false }
            m.state = .down(message: message)
            m.reconnecting = true
            return true
        }
        guard isCurrent else { return }
        queue.async { Self.teardown(session) }
        onEvent(.disconnected(message))
        startReconnecting()
    }

    private func startReconnecting() {
        Task.detached { [weak self] in
            var delay = 1.0
            while true {
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                guard let self else { return }
                let attempt: Int? = shared.withLock { m in
                    if m.isShutDown { return nil }
                    m.attemptCounter += 1
                    m.state = .connecting(attempt: m.attemptCounter, waiters: [], failFast: true)
                    return m.attemptCounter
                }
                guard let attempt else { return }
                self.startOpen(attempt: attempt)
                let connected = await self.waitForAttempt(attempt)
                if connected {
                    shared.withLock { $0.reconnecting = false }
                    self.onEvent(.connected)
                    return
                }
                delay = min(delay * 2, 30)
            }
        }
    }

    /// Waits until `attempt` has finished (woken by ``finishOpen(attempt:result:)``, no
    /// polling); true when it connected.
    private func waitForAttempt(_ attempt: Int) async -> Bool {
        await withCheckedContinuation { (cont: CheckedContinuation<Bool, Never>) in
            let done: Bool? = shared.withLock { m in
                if m.isShutDown { return false }
                switch m.state {
                case .connecting(let a, _, _) where a == attempt:
                    m.attemptWaiter = (attempt, cont)
                    return nil
                case .connected: return true
                default: return false
                }
            }
            if let done { cont.resume(returning: done) }
        }
    }
}
