import CUnitopSys
import Foundation
import Models
#if canImport(Glibc)
import Glibc
#endif

/// The serial console: guest output to `console.log` and the viewers, viewer input to the guest,
/// and the boot time (launch to first byte).
///
/// QEMU's serial output is a pipe (its stdout), not a socket: QEMU writes the UART one byte per
/// `write`, and a Unix socket keeps every write as its own buffer (about 1 KiB of accounting
/// each), so a socket "full" after ~1,000 bytes stalled the guest and cost the reader one buffer
/// per byte; a pipe packs the bytes into its pages (1 MiB of them here).
///
/// Reads are coalesced: reading at every wake-up would cost one read, one log append and one
/// send per viewer for every few bytes. So the first bytes after a quiet spell are read at once
/// (an echo is not delayed), and then the pipe is left alone for ``serialCoalesceInterval``:
/// whatever the guest writes meanwhile waits in the pipe (seconds of UART output) and is read in
/// one go. Bytes are only ever read in order from one stream, so none is lost or reordered.
extension Supervisor {
    /// How long serial output may accumulate after a read before the next read.
    static let serialCoalesceInterval: Duration = .milliseconds(5)
    /// Bytes asked for per read.
    static let serialReadBytes = 256 << 10
    /// Most bytes read in one round (other descriptors get their turn after).
    static let serialRoundBytes = 4 << 20

    /// Handles the serial output's poll result, and the end of a hold.
    func serviceSerial(_ revents: Int16) {
        guard !serialClosed else { return }
        let holdOver = serialHoldUntil.map { $0 <= .now } ?? false
        guard holdOver || revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { return }
        serialHoldUntil = nil
        if readSerial() > 0 { serialHoldUntil = .now + Self.serialCoalesceInterval }
    }

    /// Milliseconds until the hold ends (rounded up), or -1 when not holding.
    func serialHoldMilliseconds() -> Int32 {
        guard let until = serialHoldUntil, !serialClosed else { return -1 }
        let d = until - .now
        let ms = d.milliseconds
        return ms <= 0 ? 0 : Int32(ms.rounded(.up))
    }

    /// The earlier of two poll timeouts (-1 = none).
    static func earlier(_ a: Int32, _ b: Int32) -> Int32 {
        if a < 0 { return b }
        if b < 0 { return a }
        return min(a, b)
    }

    /// Reads what the guest has written so far (until the pipe is empty, at most
    /// ``serialRoundBytes``) and passes it on; returns the number of bytes read.
    @discardableResult
    func readSerial() -> Int {
        var total = 0
        while total < Self.serialRoundBytes {
            let n = serialBuffer.withUnsafeMutableBytes { read(serialFd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { serialClosed = true; break }
            guard n > 0 else { break }
            consoleOutput(Array(serialBuffer[0..<n]))
            total += n
            // A short read emptied the pipe: no need for a read that says so.
            if n < serialBuffer.count { break }
        }
        return total
    }

    /// Reads whatever the guest left in the pipe (after QEMU exited).
    func drainSerial() {
        while !serialClosed && readSerial() > 0 {}
    }

    func consoleOutput(_ bytes: [UInt8]) {
        let first = awaitingFirstByte
        if first {
            awaitingFirstByte = false
            firstByteAt = .now
        }
        console.append(bytes)
        for c in consoleClients { c.send(bytes) }
        // After the bytes are out: the status file costs more than the append.
        if first { recordBootTime() }
    }

    /// Sets `bootMillis` from the boot clock and the first byte, when both are known.
    func recordBootTime() {
        guard let first = firstByteAt else { return }
        let d = first - bootClockStart
        let ms = d.milliseconds
        status.bootMillis = (max(0, ms) * 1000).rounded() / 1000
        writeStatus()
    }

    /// The launch's RESUME event (QEMU leaving -S on the prelude's `cont`) starts the boot clock
    /// at QEMU's own timestamp: the monitor may have read it later.
    func noteResume(_ line: [UInt8]) {
        guard !resumedOnce else { return }
        resumedOnce = true
        guard let wall = QMPMessage.timestamp(line) else { return }
        let ago = min(max(0, Date().timeIntervalSince1970 - wall), QEMUMonitorProcess.startupTimeoutSeconds)
        bootClockStart = .now - .microseconds(Int64(ago * 1_000_000))
        status.startedAt = Date(timeIntervalSince1970: wall)
        recordBootTime()
    }

    /// Starts measuring the boot again (a restart).
    func restartBootClock() {
        awaitingFirstByte = true
        firstByteAt = nil
        bootClockStart = .now
        status.bootMillis = nil
        armReadiness(afterReset: true)
        writeStatus()
    }

    /// Writes as much pending keyboard input as QEMU's stdin pipe takes.
    func writeGuestInput() {
        guard !guestInputClosed, !guestInput.isEmpty else { return }
        let n = guestInput.withUnsafeBytes { write(guestInputFd, $0.baseAddress, $0.count) }
        if n > 0 {
            guestInput.removeFirst(n)
        } else if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            // QEMU is gone (EPIPE): the input has nowhere to go.
            guestInputClosed = true
            guestInput.removeAll()
        }
    }

    func acceptConsole() {
        let fd = unitop_accept(consoleListener)
        guard fd >= 0 else { return }
        if consoleClients.count >= MonitorLimits.maxClients { _ = close(fd); return }
        consoleClients.append(PeerConnection(fd: fd, maxLineBytes: 1, outputLimit: MonitorLimits.consoleClientBufferBytes))
    }

    func serviceConsole(_ c: PeerConnection, _ revents: Int16) {
        if revents & Int16(POLLOUT) != 0 { c.flush() }
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            guard let bytes = c.readAvailable(max: 4096) else { return }
            let room = MonitorLimits.guestInputBufferBytes - guestInput.count
            guestInput.append(contentsOf: bytes.prefix(max(0, room)))
            if !guestInput.isEmpty { writeGuestInput() }
        }
    }
}
