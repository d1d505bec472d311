/// QEMU user networking's connection table, as HMP `info usernet` prints it, read to learn when
/// a guest has accepted a connection on a published port.
///
/// A connect to a `hostfwd` port succeeds on the host at once, whatever the guest does: slirp
/// holds the host side while it sends the SYN to the guest. The guest has accepted only when
/// that connection's row leaves `SYN_SENT` (`ESTABLISHED`, or later states once it closes).
///
/// ```
/// Hub -1 (n0):
///   Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
///   TCP[SYN_SENT]       8       127.0.0.1 18099       10.0.2.15    80     0     0
///   TCP[HOST_FORWARD]   3       127.0.0.1 18099       10.0.2.15    80     0     0
/// ```
public struct UsernetTable: Sendable, Equatable {
    /// Rows beyond this are ignored (the text comes from QEMU, but is bounded anyway).
    public static let maxRows = 4096

    public struct Row: Sendable, Equatable {
        public var protocolName: String
        public var state: String
        public var sourceAddress: String
        public var sourcePort: Int
        public var destinationAddress: String
        public var destinationPort: Int
    }

    public var rows: [Row]

    /// Parses the text; lines that are not rows (headers, hub names, garbage) are skipped.
    public init(text: String) {
        var rows: [Row] = []
        for line in text.split(whereSeparator: { $0.isNewline }) {
            guard rows.count < Self.maxRows else { break }
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 6, let open = words[0].firstIndex(of: "["), words[0].hasSuffix("]"),
                  let srcPort = Int(words[3]), let dstPort = Int(words[5]) else { continue }
            let head = words[0]
            let state = head[head.index(after: open)..<head.index(before: head.endIndex)]
            rows.append(Row(protocolName: String(head[..<open]), state: String(state), sourceAddress: String(words[2]),
                            sourcePort: srcPort, destinationAddress: String(words[4]), destinationPort: dstPort))
        }
        self.rows = rows
    }

    /// True when a TCP connection forwarded from `hostPort` has been accepted by the guest.
    public func guestAccepted(hostPort: Int) -> Bool { acceptedConnections(hostPort: hostPort) > 0 }

    /// How many TCP connections forwarded from `hostPort` the guest has accepted (including
    /// ones closing). slirp keeps closing connections for a while, also across a guest reset:
    /// after a restart only a count above the one seen at the reset means a new acceptance.
    public func acceptedConnections(hostPort: Int) -> Int {
        rows.count { r in
            r.protocolName == "TCP" && r.sourcePort == hostPort && r.state != "HOST_FORWARD" && r.state != "SYN_SENT"
                && r.state != "CLOSED" && r.state != "LISTEN"
        }
    }
}

/// The timing of a readiness probe: how often to look, when to give a pending connection up
/// and open a new one (slirp's own SYN retransmission waits seconds), and when to stop.
public struct ReadinessSchedule: Sendable, Equatable {
    /// First wait between looks; doubles up to ``maxInterval``.
    public var firstInterval: Duration = .milliseconds(5)
    public var maxInterval: Duration = .milliseconds(200)
    /// A connection still waiting for the guest after this long is closed and opened again.
    public var reconnectAfter: Duration = .milliseconds(750)
    /// The probe stops after this long (the guest never answered).
    public var giveUpAfter: Duration = .seconds(600)

    public init() {}

    /// The wait after `interval`.
    public func next(after interval: Duration) -> Duration { min(interval * 2, maxInterval) }

    /// The first published TCP port, the one probed; nil when there is none (no READY figure).
    public static func probedPort(_ ports: [PortMapping]) -> PortMapping? { ports.first { $0.protocol == .tcp } }
}
