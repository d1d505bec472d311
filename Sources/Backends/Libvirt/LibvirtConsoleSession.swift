import CLibvirt
import Foundation
import Models
import Synchronization

/// One open console of a domain: a non-blocking `virStream` from `virDomainOpenConsole`, read on
/// the libvirt event loop and fanned out to any number of listeners; input goes through
/// ``send(_:)``.
///
/// libvirt allows one console client per domain; opening without `force` while another client
/// holds it fails with ``UnitopError/failed(_:)`` saying so.
///
/// Checked Sendable: the `virStreamPtr` is in a ``LibvirtPointer``; what changes is in `shared`.
final class LibvirtConsoleSession: Sendable {
    let name: String
    private let stream: LibvirtPointer
    private struct Shared {
        var listeners: [UUID: AsyncThrowingStream<[UInt8], Error>.Continuation] = [:]
        var ended = false
        var callbackAdded = false
    }
    private let shared = Mutex(Shared())

    private final class Box {
        weak var session: LibvirtConsoleSession?
        init(_ s: LibvirtConsoleSession) { session = s }
    }

    /// Opens the console of `domain` (on the connection's queue).
    init(conn: OpaquePointer, domain: OpaquePointer, name: String, force: Bool) throws {
        self.name = name
        guard let st = virStreamNew(conn, UInt32(VIR_STREAM_NONBLOCK.rawValue)) else {
            throw UnitopError.failed("cannot open the console of '\(name)': \(LibvirtErrors.last().message)")
        }
        stream = LibvirtPointer(raw: st)
        let flags = force ? UInt32(VIR_DOMAIN_CONSOLE_FORCE.rawValue) : 0
        if virDomainOpenConsole(domain, nil, st, flags) != 0 {
            let last = LibvirtErrors.last()
            virStreamFree(st)
            if last.message.contains("Active console session") || last.message.contains("in use") {
                throw UnitopError.failed("console of \(name) is in use by another client; use force to take it over")
            }
            if LibvirtErrors.isNoDomain(last) { throw UnitopError.instanceNotFound(name) }
            throw UnitopError.failed("cannot open the console of '\(name)': \(last.message)")
        }
        let box = Unmanaged.passRetained(Box(self)).toOpaque()
        let events = Int32(VIR_STREAM_EVENT_READABLE.rawValue | VIR_STREAM_EVENT_ERROR.rawValue | VIR_STREAM_EVENT_HANGUP.rawValue)
        if virStreamEventAddCallback(st, events, { _, _, opaque in
            guard let opaque else { return }
            Unmanaged<Box>.fromOpaque(opaque).takeUnretainedValue().session?.readAvailable()
        }, box, { opaque in
            if let opaque { Unmanaged<Box>.fromOpaque(opaque).release() }
        }) == 0 {
            shared.withLock { $0.callbackAdded = true }
        } else {
            Unmanaged<Box>.fromOpaque(box).release()
        }
    }

    deinit {
        close()
        virStreamFree(stream.raw)
    }

    var isEnded: Bool { shared.withLock { $0.ended } }

    /// Live output from now on; finishes when the console ends.
    func listen() -> AsyncThrowingStream<[UInt8], Error> {
        AsyncThrowingStream { c in
            let id = UUID()
            let alreadyEnded: Bool = shared.withLock {
                if $0.ended { return true }
                $0.listeners[id] = c
                return false
            }
            if alreadyEnded { c.finish(); return }
            c.onTermination = { [weak self] _ in
                guard let self else { return }
                _ = self.shared.withLock { $0.listeners.removeValue(forKey: id) }
            }
        }
    }

    /// Sends input bytes (retries briefly while the stream would block).
    func send(_ bytes: [UInt8]) throws {
        if isEnded { throw UnitopError.failed("console of \(name) is closed") }
        var offset = 0
        var spins = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    virStreamSend(stream.raw, $0, buf.count)
                }
            }
            if n > 0 { offset += Int(n); continue }
            if n == -2, spins < 200 { spins += 1; usleep(5000); continue }
            throw UnitopError.failed("cannot send to the console of '\(name)': \(LibvirtErrors.last().message)")
        }
    }

    /// Stops reading and closes the stream (idempotent).
    func close() {
        let (wasOpen, callbackAdded): (Bool, Bool) = shared.withLock {
            let open = !$0.ended
            $0.ended = true
            return (open, $0.callbackAdded)
        }
        guard wasOpen else { return }
        if callbackAdded { _ = virStreamEventRemoveCallback(stream.raw) }
        _ = virStreamAbort(stream.raw)
        finishListeners(nil)
    }

    /// Called on the event loop when the stream is readable, hung up or failed.
    private func readAvailable() {
        var buf = [CChar](repeating: 0, count: 64 * 1024)
        while true {
            let n = virStreamRecv(stream.raw, &buf, buf.count)
            if n > 0 {
                let bytes = buf[0..<Int(n)].map { UInt8(bitPattern: $0) }
                let targets = shared.withLock { Array($0.listeners.values) }
                for t in targets { t.yield(bytes) }
                continue
            }
            if n == -2 { return }  // would block: wait for the next event
            let error: Error? = n == 0 ? nil : UnitopError.failed("console of \(name) ended: \(LibvirtErrors.last().message)")
            let (wasOpen, callbackAdded): (Bool, Bool) = shared.withLock { let o = !$0.ended; $0.ended = true; return (o, $0.callbackAdded) }
            if wasOpen {
                if callbackAdded { _ = virStreamEventRemoveCallback(stream.raw) }
                if n == 0 { _ = virStreamFinish(stream.raw) } else { _ = virStreamAbort(stream.raw) }
                finishListeners(error)
            }
            return
        }
    }

    private func finishListeners(_ error: Error?) {
        let targets: [AsyncThrowingStream<[UInt8], Error>.Continuation] = shared.withLock {
            let t = Array($0.listeners.values); $0.listeners.removeAll(); return t
        }
        for t in targets { if let error { t.finish(throwing: error) } else { t.finish() } }
    }
}
