import Foundation
import Models

/// Streams a console log that virtlogd writes into the `unitop` pool of a host that is not this
/// machine, read through libvirt as a storage volume (``RemoteConsoleLog/Source``).
///
/// Every byte comes from the log at a byte offset, so history and live output meet without loss
/// or duplication by construction. History: virtlogd's backups (`….console.log.N` … `.0`, oldest
/// first) then the current log; `.tail(bytes:)` starts `bytes` before the end of all of them.
/// Following polls the log's size (libvirt refreshes it from the file for `dir` pools): every
/// ``fastInterval`` after new bytes, backing off to ``idleInterval`` when idle. It ends once the
/// domain has ended (the backend's in-memory flag, set by lifecycle events; and, in case an event
/// was lost with the connection, `stillRunning` asked every ``livenessCheckPolls`` idle polls) and
/// the log has stayed unchanged for ``quietAfterEnd``. A connection lost while following (the
/// host's libvirtd restarted) is waited out, polling every ``idleInterval``: the backend
/// reconnects by itself and reading goes on from the same offset.
///
/// Rotation (virtlogd renames the log to `.0` at its size limit, 2 MiB by default): a size below
/// the offset read so far means the file was rotated; the rest of `.0` from that offset is
/// delivered, then the new file from its start. If `.0` is shorter than the offset (several
/// rotations between two polls, or a new boot of the same name truncated the log), the stream
/// ends: the bytes in between are not delivered.
///
/// Bounded: one pull reads at most ``chunkBytes`` (the stream is pulled, so nothing piles up).
final class RemoteConsoleLog: Sendable {
    /// What the log is read through (the backend's connection).
    protocol Source: Sendable {
        /// Sizes of the named volumes (nil for one that does not exist), refreshing the pool first.
        func sizes(_ volumes: [String]) async throws -> [UInt64?]
        /// At most `maxBytes` of `volume` from `offset` when its size is beyond `offset`, with its
        /// size now (nil: no such volume).
        func read(_ volume: String, offset: UInt64, maxBytes: Int) async throws -> (size: UInt64?, bytes: [UInt8])
    }

    static let chunkBytes = 64 << 10
    static let fastInterval = Duration.milliseconds(50)
    static let idleInterval = Duration.seconds(1)
    static let quietAfterEnd = Duration.milliseconds(300)
    /// Idle polls between two asks whether the domain still runs.
    static let livenessCheckPolls = 10

    /// The stream of the log `volume` (its backups are `volume.0` …).
    static func stream(volume: String, source: some Source, history: ConsoleHistory, follow: Bool,
                       hasEnded: @escaping @Sendable () -> Bool,
                       stillRunning: @escaping @Sendable () async -> Bool = { true }) -> AsyncThrowingStream<[UInt8], Error> {
        let reader = Reader(volume: volume, source: source, history: history, follow: follow, hasEnded: hasEnded,
                            stillRunning: stillRunning)
        return AsyncThrowingStream { try await reader.next() }
    }

    /// A part of a log still to deliver: `volume` from `offset` to `end`.
    struct Segment: Equatable {
        var volume: String
        var offset: UInt64
        var end: UInt64
    }

    /// The history segments for `sizes` (backups `.0` … first, then the current log, as
    /// `[current, .0, .1, …]`) and where the live part of the current log starts.
    static func plan(volume: String, sizes: [UInt64?], history: ConsoleHistory) -> (segments: [Segment], liveOffset: UInt64) {
        let current = sizes.first.flatMap { $0 } ?? 0
        var all: [Segment] = []
        for (i, s) in sizes.enumerated().dropFirst().reversed() {
            if let s, s > 0 { all.append(Segment(volume: "\(volume).\(i - 1)", offset: 0, end: s)) }
        }
        if current > 0 { all.append(Segment(volume: volume, offset: 0, end: current)) }
        switch history {
        case .all: return (all, current)
        case .none: return ([], current)
        case .tail(let bytes):
            var keep = UInt64(max(0, bytes))
            var out: [Segment] = []
            for seg in all.reversed() where keep > 0 {
                let len = seg.end - seg.offset
                var s = seg
                if len > keep { s.offset = seg.end - keep }
                keep -= min(keep, len)
                out.insert(s, at: 0)
            }
            return (out, current)
        }
    }

    private actor Reader {
        let volume: String
        let source: any Source
        let history: ConsoleHistory
        let follow: Bool
        let hasEnded: @Sendable () -> Bool
        let stillRunning: @Sendable () async -> Bool
        private var idlePolls = 0
        private var gone = false
        private var started = false
        private var done = false
        private var segments: [Segment] = []
        /// Next byte of the current log to deliver.
        private var offset: UInt64 = 0
        private var interval = RemoteConsoleLog.fastInterval
        /// When the domain was first seen ended with nothing new to read.
        private var quietSince: ContinuousClock.Instant?

        init(volume: String, source: any Source, history: ConsoleHistory, follow: Bool, hasEnded: @escaping @Sendable () -> Bool,
             stillRunning: @escaping @Sendable () async -> Bool) {
            self.volume = volume; self.source = source; self.history = history; self.follow = follow; self.hasEnded = hasEnded
            self.stillRunning = stillRunning
        }

        func next() async throws -> [UInt8]? {
            if done { return nil }
            if !started {
                started = true
                let names = [volume] + (0..<ConsoleLogFollower.maxBackups).map { "\(volume).\($0)" }
                let sizes = try await source.sizes(names)
                // Backups stop at the first missing one.
                let present = Array(sizes.dropFirst().prefix { $0 != nil })
                (segments, offset) = RemoteConsoleLog.plan(volume: volume, sizes: [sizes.first ?? nil] + present, history: history)
            }
            while !segments.isEmpty {
                let seg = segments[0]
                let want = Int(min(UInt64(RemoteConsoleLog.chunkBytes), seg.end - seg.offset))
                let got = want > 0 ? try await source.read(seg.volume, offset: seg.offset, maxBytes: want).bytes : []
                if got.isEmpty {
                    segments.removeFirst()  // gone or shorter than seen: nothing more there
                    continue
                }
                segments[0].offset += UInt64(got.count)
                if segments[0].offset >= seg.end { segments.removeFirst() }
                return got
            }
            guard follow else { return finish() }
            return try await live()
        }

        private func finish() -> [UInt8]? {
            done = true
            return nil
        }

        /// Waits for and returns the next bytes of the current log (nil: the stream ends).
        private func live() async throws -> [UInt8]? {
            while !Task.isCancelled {
                let ended = gone || hasEnded()
                let size: UInt64?, bytes: [UInt8]
                do {
                    (size, bytes) = try await source.read(volume, offset: offset, maxBytes: RemoteConsoleLog.chunkBytes)
                } catch UnitopError.connection {
                    // The host's daemon went away (restart, network): the backend reconnects by
                    // itself, and the log is read from the same offset then, so nothing is lost.
                    interval = RemoteConsoleLog.idleInterval
                    do { try await Task.sleep(for: interval) } catch { return finish() }
                    continue
                }
                if !bytes.isEmpty {
                    offset += UInt64(bytes.count)
                    interval = RemoteConsoleLog.fastInterval
                    quietSince = nil
                    idlePolls = 0
                    return bytes
                }
                if let size, size < offset {
                    // Rotated (or truncated by a new boot): the rest of `.0`, then the new file.
                    let backup = try await source.sizes(["\(volume).0"]).first ?? nil
                    guard let b = backup, b >= offset else { return finish() }
                    segments = b > offset ? [Segment(volume: "\(volume).0", offset: offset, end: b)] : []
                    offset = 0
                    return try await next()
                }
                if ended {
                    let now = ContinuousClock.now
                    if let q = quietSince, now - q >= RemoteConsoleLog.quietAfterEnd { return finish() }
                    if quietSince == nil { quietSince = now }
                    interval = RemoteConsoleLog.fastInterval * 2
                }
                do { try await Task.sleep(for: interval) } catch { return finish() }
                if !ended {
                    interval = min(interval * 2, RemoteConsoleLog.idleInterval)
                    idlePolls += 1
                    if idlePolls % RemoteConsoleLog.livenessCheckPolls == 0, !(await stillRunning()) { gone = true }
                }
            }
            return finish()
        }
    }
}
