/// Moves bytes from a ``ConsoleLogCursor`` into a ``ConsoleChunkChannel`` as far as the channel
/// has room: the step both backends' console followers take whenever their log may have grown
/// or their consumer has taken a chunk.
enum ConsoleLogPump {
    /// Largest chunk handed to a stream.
    static let chunkBytes = 64 << 10

    enum Outcome: Equatable {
        /// Everything in the log so far was handed over.
        case caughtUp
        /// The channel is full; the rest waits in the log until the consumer takes something.
        case full
        /// The consumer went away.
        case consumerGone
    }

    /// Reads from `cursor` into `channel` until the log is read to its end or the channel is
    /// full; returns why it stopped and how many bytes it handed over.
    static func transfer(from cursor: ConsoleLogCursor, to channel: ConsoleChunkChannel) -> (outcome: Outcome, bytes: Int) {
        var buf = [UInt8](repeating: 0, count: chunkBytes)
        var moved = 0
        while true {
            if channel.isCancelled { return (.consumerGone, moved) }
            let space = min(channel.space, chunkBytes)
            if space == 0 { return (.full, moved) }
            let n = buf.withUnsafeMutableBytes { cursor.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<space])) }
            if n == 0 { return (.caughtUp, moved) }
            moved += n
            if !channel.offer(Array(buf[0..<n])) { return (.consumerGone, moved) }
        }
    }

    /// What a follower does after a transfer: stops when the consumer has gone or (caught up)
    /// when its source has `ended`; when the channel is full, pumps again on `hub` once the
    /// consumer has taken a chunk.
    static func proceed(after outcome: Outcome, ended: Bool, channel: ConsoleChunkChannel, hub: FileWatchHub,
                        pump: @escaping @Sendable () -> Void, finish: () -> Void) {
        switch outcome {
        case .consumerGone: finish()
        case .full: channel.whenSpace { hub.perform(pump) }
        case .caughtUp: if ended { finish() }
        }
    }
}
