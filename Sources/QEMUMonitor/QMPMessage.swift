import Foundation

/// One message received from QEMU's QMP socket.
public enum QMPMessage: Sendable, Equatable {
    /// The greeting QEMU sends on connect (`{"QMP": {...}}`).
    case greeting
    /// A successful reply; `value` is the `return` member re-encoded as compact JSON.
    case success(id: Int?, value: QMPValue)
    /// An error reply.
    case error(id: Int?, errorClass: String, description: String)
    /// An asynchronous event such as `STOP`, `SHUTDOWN`, `RESET`.
    case event(name: String, data: QMPValue)
}

/// A small JSON value (what QMP replies and event payloads contain).
public indirect enum QMPValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([QMPValue])
    case object([String: QMPValue])

    public subscript(key: String) -> QMPValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var number: Double? { if case .number(let n) = self { return n }; return nil }

}

extension QMPValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([QMPValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: QMPValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// Why a QMP line could not be decoded.
public enum QMPDecodeError: Error, Equatable, Sendable {
    case notJSON
    case notAnObject
    case unknownShape
}

extension QMPMessage {
    /// Decodes one line (one JSON object) from QMP.
    public static func decode(_ line: [UInt8]) throws(QMPDecodeError) -> QMPMessage {
        guard let obj = try? JSONDecoder().decode(QMPValue.self, from: Data(line)) else { throw .notJSON }
        guard case .object = obj else { throw .notAnObject }
        let id: Int? = { if case .number(let n)? = obj["id"], n.rounded() == n, abs(n) < 1e15 { return Int(n) }; return nil }()
        if obj["QMP"] != nil { return .greeting }
        if let ev = obj["event"]?.string { return .event(name: ev, data: obj["data"] ?? .object([:])) }
        if let r = obj["return"] { return .success(id: id, value: r) }
        if let e = obj["error"] {
            return .error(id: id, errorClass: e["class"]?.string ?? "GenericError",
                          description: e["desc"]?.string ?? "unknown QMP error")
        }
        throw .unknownShape
    }

    /// The `timestamp` of an event line (QEMU's wall clock when it emitted the event), in
    /// seconds since 1970; nil when the line has none.
    public static func timestamp(_ line: [UInt8]) -> Double? {
        guard let obj = try? JSONDecoder().decode(QMPValue.self, from: Data(line)),
              let ts = obj["timestamp"], let s = ts["seconds"]?.number, let us = ts["microseconds"]?.number else { return nil }
        return s + us / 1_000_000
    }

    /// Encodes a command line to send (`{"execute":...,"arguments":...,"id":N}\n`).
    public static func command(_ name: String, arguments: [String: Any]? = nil, id: Int) -> [UInt8] {
        var obj: [String: Any] = ["execute": name, "id": id]
        if let arguments { obj["arguments"] = arguments }
        let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data()
        return [UInt8](data) + [0x0A]
    }
}

/// Splits a byte stream into lines with a bound on line length.
///
/// A line longer than `maxLineBytes` is discarded up to its newline and reported once as
/// ``Item/oversized(_:)``, so a misbehaving peer can never make the buffer grow without bound.
public struct LineBuffer: Sendable {
    public enum Item: Equatable, Sendable {
        case line([UInt8])
        /// A line was dropped; the associated value is how many bytes it had (at least).
        case oversized(Int)
    }

    public let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var discarding = 0

    public init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// Adds bytes and returns the complete lines (without the newline; `\r` stripped).
    public mutating func append(_ bytes: some Collection<UInt8>) -> [Item] {
        var out: [Item] = []
        for b in bytes {
            if b == 0x0A {
                if discarding > 0 {
                    out.append(.oversized(discarding))
                    discarding = 0
                } else {
                    if pending.last == 0x0D { pending.removeLast() }
                    out.append(.line(pending))
                }
                pending.removeAll(keepingCapacity: true)
            } else if discarding > 0 {
                discarding += 1
            } else if pending.count >= maxLineBytes {
                discarding = pending.count + 1
                pending.removeAll()
            } else {
                pending.append(b)
            }
        }
        return out
    }

    /// Bytes held for an incomplete line.
    public var pendingCount: Int { pending.count }
}

/// Limits on what the monitor accepts from its peers.
public enum MonitorLimits {
    /// Largest QMP message (one line of JSON).
    public static let qmpMessageBytes = 1 << 20
    /// Largest control request line.
    public static let controlRequestBytes = 64 << 10
    /// Output buffered for one console client before it is dropped as too slow.
    public static let consoleClientBufferBytes = 1 << 20
    /// Input buffered for the guest before further input is discarded.
    public static let guestInputBufferBytes = 256 << 10
    /// Most console clients and control clients at once.
    public static let maxClients = 64
}

extension QMPValue: CustomStringConvertible {
    /// Compact JSON text (for logs).
    public var description: String {
        guard let data = try? JSONEncoder().encode(self) else { return "?" }
        return String(decoding: data, as: UTF8.self)
    }
}
