import CLibvirt
import Foundation
import Models

/// The process-wide libvirt event loop.
///
/// libvirt delivers domain events, close callbacks, keepalive and non-blocking stream I/O through
/// an event loop that must be registered before the first connection is opened. ``ensureRunning()``
/// registers the default implementation once, silences libvirt's stderr error printer and runs
/// `virEventRunDefaultImpl()` forever on a dedicated thread.
enum LibvirtEventLoop {
    private static let started: Bool = {
        unitop_vir_silence_errors()
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        let thread = Thread {
            while true {
                // Returns after each dispatched event; errors are transient (EINTR).
                _ = virEventRunDefaultImpl()
            }
        }
        thread.name = "unitop-libvirt-events"
        thread.stackSize = 1 << 20
        thread.start()
        return true
    }()

    /// Registers and starts the event loop (idempotent, thread-safe). Throws if libvirt refuses.
    static func ensureRunning() throws(UnitopError) {
        if !started { throw .failed("libvirt: cannot register the default event loop") }
    }
}
