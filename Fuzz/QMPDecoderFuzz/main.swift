// libFuzzer target for what the monitor reads from QEMU's QMP socket. Build: Fuzz/build-qmp.sh
//
// The first input byte seeds the chunk splits; the rest is a byte stream fed to a LineBuffer in
// chunks, and every complete line is decoded as a QMP message. Checks on every input: no trap,
// the buffer never holds more than its bound, the chunked split equals the one-chunk split,
// and decoded values re-encode and decode to the same value.
import Foundation

/// Small bound so oversized lines are exercised with short inputs.
private let maxLine = 512

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQMPDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var seed = UInt64(data[0]) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(size)

    var whole = LineBuffer(maxLineBytes: maxLine)
    let wholeItems = whole.append(input)

    var chunked = LineBuffer(maxLineBytes: maxLine)
    var chunkedItems: [LineBuffer.Item] = []
    var offset = 0
    while offset < input.count {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        let length = min(input.count - offset, Int(seed >> 58) + 1)  // 1...64 bytes
        chunkedItems += chunked.append(input[offset..<(offset + length)])
        if chunked.pendingCount > maxLine { fatalError("line buffer holds \(chunked.pendingCount) > \(maxLine) bytes") }
        offset += length
    }
    if chunkedItems != wholeItems { fatalError("chunked split differs from the one-chunk split") }
    if chunked.pendingCount != whole.pendingCount { fatalError("pending bytes differ: \(chunked.pendingCount) vs \(whole.pendingCount)") }

    for item in wholeItems {
        guard case .line(let line) = item else { continue }
        if line.count > maxLine { fatalError("line of \(line.count) bytes passed a \(maxLine)-byte bound") }
        check(line)
    }
    // The whole input as one line too (QMP messages up to the monitor's 1 MiB bound).
    check(Array(input))
    return 0
}

private func check(_ line: [UInt8]) {
    guard let message = try? QMPMessage.decode(line) else { return }
    switch message {
    case .greeting:
        break
    case .success(_, let value), .event(_, let value):
        roundTrip(value)
    case .error:
        break
    }
}

/// A decoded value encodes to JSON that decodes to an equal value (NaN-free: JSON has none).
private func roundTrip(_ value: QMPValue) {
    guard let data = try? JSONEncoder().encode(value) else { return }  // e.g. non-finite numbers
    guard let again = try? JSONDecoder().decode(QMPValue.self, from: data) else {
        fatalError("re-encoded value does not decode: \(String(decoding: data, as: UTF8.self))")
    }
    if !equivalent(again, value) { fatalError("round trip changed \(value) into \(again)") }
}

/// Equality where numbers compare by value (Double round trip through text is exact for JSON).
private func equivalent(_ a: QMPValue, _ b: QMPValue) -> Bool {
    switch (a, b) {
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(equivalent)
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.allSatisfy { k, v in y[k].map { equivalent(v, $0) } ?? false }
    case (.number(let x), .number(let y)): return x == y
    // A bool may come back as a number or vice versa only if the encoder is wrong.
    default: return a == b
    }
}
