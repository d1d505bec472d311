import CUnitopSys
import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// Learns when the guest first accepts a connection on a published TCP port (``Instance``'s
/// `readyMillis`), for the monitor's single-threaded poll loop: nothing here blocks.
///
/// With QEMU user networking a host-side `connect()` to a `hostfwd` port succeeds at once,
/// whatever the guest does: slirp holds the host side while it sends its SYN to the guest. So a
/// probe connection is opened (non-blocking) and the monitor then asks QEMU's `info usernet`
/// whether slirp's connection to the guest has left `SYN_SENT` (``UsernetTable``). A connection
/// the guest refuses reads EOF or a reset: it is closed and another one opened, with back-off.
/// One still waiting for the guest after ``ReadinessSchedule/reconnectAfter`` is replaced too
/// (slirp's own SYN retransmissions are seconds apart). Looks start quickly after each connect
/// (that is when a listening guest answers) and slow down. The probe closes its connection at
/// once and stops when the guest accepted, when the guest ends, or after
/// ``ReadinessSchedule/giveUpAfter``.
///
/// slirp keeps the connections of before a guest reset (closing) for a while, so after a restart
/// the probe first counts the accepted connections it already lists, and only a count above
/// that is a new acceptance (see ``accepted(count:)``).
final class ReadinessProbe {
    let port: PortMapping
    let address: String
    let schedule: ReadinessSchedule
    /// The probe connection, -1 when none is open.
    private(set) var fd: Int32 = -1
    /// The connect has not completed yet (the socket is watched for writability).
    private(set) var connecting = false
    /// When the current connection was opened.
    private(set) var openedAt: ContinuousClock.Instant?
    /// When to open the next connection (when none is open).
    private(set) var reopenAt: ContinuousClock.Instant
    /// Back-off between connections the guest refused.
    private var retryInterval: Duration
    /// When to ask `info usernet` next, and the wait after that.
    private(set) var nextLookAt: ContinuousClock.Instant?
    private var lookInterval: Duration
    let giveUpAt: ContinuousClock.Instant
    /// An `info usernet` query is on its way (one at a time).
    var queryInFlight = false
    /// After a reset: the first look counts the connections accepted before it, and no probe
    /// connection is opened until then.
    private(set) var awaitingBaseline: Bool
    /// Accepted connections that are not this probe's doing (listed before a reset).
    private(set) var baseline = 0
    /// Counters for the monitor log.
    private(set) var connects = 0
    private(set) var looks = 0

    /// nil when the spec has no published TCP port on user networking (nothing to measure).
    init?(spec: LaunchSpec, afterReset: Bool, schedule: ReadinessSchedule = ReadinessSchedule(),
          start: ContinuousClock.Instant = .now) {
        guard spec.network == .user, let p = ReadinessSchedule.probedPort(spec.ports) else { return nil }
        port = p
        awaitingBaseline = afterReset
        address = p.connectAddress
        self.schedule = schedule
        reopenAt = start
        retryInterval = schedule.firstInterval
        lookInterval = schedule.firstInterval
        giveUpAt = start + schedule.giveUpAfter
    }

    /// What the poll loop watches: writability while connecting, then EOF/reset.
    var pollEvents: Int32 { connecting ? Int32(POLLOUT) : Int32(POLLIN) }

    /// Opens a connection and starts the (non-blocking) connect; on an immediate failure the
    /// next attempt is scheduled instead.
    func open(now: ContinuousClock.Instant = .now) {
        closeConnection()
        connects += 1
        var s: Int32 = -1
        let rc = SocketAddress.with(address, port: port.hostPort) { family, addr, len -> Int32 in
            s = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            return s < 0 ? -1 : connect(s, addr, len)
        }
        guard s >= 0 else { return retryLater(now) }
        guard let rc, rc == 0 || errno == EINPROGRESS else { close(s); return retryLater(now) }
        fd = s
        connecting = rc != 0
        openedAt = now
        lookInterval = schedule.firstInterval
        nextLookAt = now + lookInterval
    }

    /// Handles the connection's poll result. Returns true when the guest has surely accepted
    /// (it sent bytes).
    func handle(revents: Int16, now: ContinuousClock.Instant = .now) -> Bool {
        guard fd >= 0 else { return false }
        if connecting {
            guard revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return false }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0 { refused(now); return false }
            connecting = false
            return false
        }
        guard revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 else { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n > 0 { return true }  // the guest spoke: it accepted
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return false }
        refused(now)  // EOF or a reset: slirp passed on the guest's refusal
        return false
    }

    /// Milliseconds until the probe has something to do (-1: nothing scheduled).
    func millisecondsUntilDue(now: ContinuousClock.Instant = .now) -> Int32 {
        var next = giveUpAt
        if awaitingBaseline {
            if !queryInFlight { next = now }
        } else if fd < 0 {
            next = min(next, reopenAt)
        } else if !queryInFlight {
            // While a look is on its way its answer wakes the loop (see due()).
            if let opened = openedAt { next = min(next, opened + schedule.reconnectAfter) }
            if let look = nextLookAt, !connecting { next = min(next, look) }
        }
        let d = next - now
        let ms = d.milliseconds
        return ms <= 0 ? 0 : Int32(min(ms.rounded(.up), 3_600_000))
    }

    /// What is due now.
    enum Due { case nothing, look, giveUp }

    /// Opens or replaces the connection when due; says whether to look or give up.
    func due(now: ContinuousClock.Instant = .now) -> Due {
        if now >= giveUpAt { return .giveUp }
        if awaitingBaseline {
            guard !queryInFlight else { return .nothing }
            looks += 1
            return .look
        }
        if fd < 0 {
            if now >= reopenAt { open(now: now) }
            return .nothing
        }
        if let opened = openedAt, now - opened >= schedule.reconnectAfter, !queryInFlight {
            // Still waiting for the guest: a fresh connection gets a fresh SYN.
            open(now: now)
            return .nothing
        }
        guard !connecting, !queryInFlight, let look = nextLookAt, now >= look else { return .nothing }
        looks += 1
        lookInterval = schedule.next(after: lookInterval)
        nextLookAt = now + lookInterval
        return .look
    }

    /// Takes a look's count of accepted connections; true when the guest has accepted one of
    /// the probe's. A count below the baseline lowers it (those connections timed out).
    func accepted(count: Int, now: ContinuousClock.Instant = .now) -> Bool {
        if awaitingBaseline {
            awaitingBaseline = false
            baseline = count
            reopenAt = now
            return false
        }
        if count < baseline { baseline = count }
        return count > baseline
    }

    /// The guest refused the connection: close it, and try again after the back-off.
    private func refused(_ now: ContinuousClock.Instant) {
        closeConnection()
        retryLater(now)
    }

    private func retryLater(_ now: ContinuousClock.Instant) {
        reopenAt = now + retryInterval
        retryInterval = schedule.next(after: retryInterval)
    }

    func closeConnection() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        connecting = false
        openedAt = nil
        nextLookAt = nil
    }
}
