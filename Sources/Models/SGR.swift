/// Re-emits the parameters of one SGR sequence (`CSI … m`) in a normalized form: only valid
/// attributes and colours survive, sub-parameter colours (`38:2::r:g:b`) become the semicolon
/// form, and the output is always `ESC [ p ; p … m` with plain decimal parameters.
///
/// Kept: 0-9, 21-29, 30-37, 39, 40-47, 49, 90-97, 100-107, `38;5;n` / `48;5;n` (n <= 255) and
/// `38;2;r;g;b` / `48;2;r;g;b` (each <= 255), and `4:0`-`4:5` (as 24 or 4). Everything else is
/// dropped, including the arguments of an extended colour it cannot use (`58;5;n` is dropped
/// whole, never read as blink). An SGR with nothing valid left is not emitted; `CSI m` is `CSI 0 m`.
enum SGRNormalizer {
    /// Longest normalized SGR: ESC [ + 16 parameters of at most 4 digits and a separator + m.
    static let maxOutputLength = 3 + ConsoleLimits.maxParameters * 5

    /// Writes the normalized parameters of `parameters` into `buffer` (room for
    /// ``ConsoleLimits/maxParameters``) and returns how many there are (0: nothing valid).
    static func normalize(_ parameters: UnsafeBufferPointer<UInt16>, subParameterMask: UInt32,
                          into buffer: UnsafeMutableBufferPointer<UInt16>) -> Int {
        let count = parameters.count
        var length = 0
        func isSub(_ k: Int) -> Bool { k < 32 && subParameterMask & (1 << UInt32(k)) != 0 }
        func put(_ value: UInt16) {
            // Each output parameter consumes at least one input parameter, so this never drops.
            guard length < buffer.count else { return }
            buffer[length] = value
            length += 1
        }
        var k = 0
        while k < count {
            let p = parameters[k]
            var end = k + 1
            while end < count && isSub(end) { end += 1 }
            if end > k + 1 {
                // Colon form: p:sub:sub…
                let subs = parameters[(k + 1)..<end]
                let first = subs[subs.startIndex]
                switch p {
                case 38, 48:
                    if first == 5, subs.count >= 2, subs[k + 2] <= 255 {
                        put(p); put(5); put(subs[k + 2])
                    } else if first == 2, subs.count >= 4 {
                        // 38:2:cs:r:g:b (with colour-space id) or 38:2:r:g:b.
                        let base = subs.count >= 5 ? k + 3 : k + 2
                        let r = parameters[base], g = parameters[base + 1], b = parameters[base + 2]
                        if r <= 255 && g <= 255 && b <= 255 { put(p); put(2); put(r); put(g); put(b) }
                    }
                case 4:
                    if first == 0 { put(24) } else if first <= 5 { put(4) }
                default:
                    break
                }
                k = end
                continue
            }
            switch p {
            case 0...9, 21...29, 30...37, 39, 40...47, 49, 90...97, 100...107:
                put(p)
                k += 1
            case 38, 48, 58:
                guard k + 1 < count else { k += 1; break }
                let mode = parameters[k + 1]
                if mode == 5 {
                    if k + 2 < count && parameters[k + 2] <= 255 && p != 58 { put(p); put(5); put(parameters[k + 2]) }
                    k = min(k + 3, count)
                } else if mode == 2 {
                    if k + 4 < count && p != 58 {
                        let r = parameters[k + 2], g = parameters[k + 3], b = parameters[k + 4]
                        if r <= 255 && g <= 255 && b <= 255 { put(p); put(2); put(r); put(g); put(b) }
                    }
                    k = min(k + 5, count)
                } else {
                    k += 2
                }
            default:
                k += 1
            }
        }
        return length
    }

    /// Writes `ESC [ p;p… m` for normalized parameters into `buffer` (room for
    /// ``maxOutputLength``) and returns its length.
    static func render(_ parameters: UnsafeBufferPointer<UInt16>, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard !parameters.isEmpty, buffer.count >= maxOutputLength, let base = buffer.baseAddress else { return 0 }
        base[0] = 0x1B
        base[1] = 0x5B
        var length = 2
        decimals.withUnsafeBufferPointer { decimals in
            for (k, value) in parameters.prefix(ConsoleLimits.maxParameters).enumerated() {
                if k > 0 {
                    base[length] = 0x3B
                    length += 1
                }
                if value < 256 {
                    // Normalized values are at most 255: digits from the table, one 4-byte store
                    // (its spare byte is overwritten by what follows; the buffer has room).
                    let entry = decimals[Int(value)]
                    UnsafeMutableRawPointer(base + length).storeBytes(of: entry & 0xFF_FFFF, as: UInt32.self)
                    length += Int(entry >> 24)
                } else {
                    length = writeDecimal(value, to: buffer, at: length)
                }
            }
        }
        base[length] = 0x6D
        return length + 1
    }

    /// The decimal digits of 0...255 as little-endian ASCII bytes, with the digit count in the
    /// top byte.
    static let decimals: [UInt32] = (0..<256).map { (value: Int) -> UInt32 in
        let digits = Array(String(value).utf8)
        var entry = UInt32(digits.count) << 24
        for (k, digit) in digits.enumerated() { entry |= UInt32(digit) << (8 * UInt32(k)) }
        return entry
    }

    @inline(__always)
    static func writeDecimal(_ value: UInt16, to buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var i = start
        let value = min(value, 9999)
        if value >= 10 {
            if value >= 100 {
                if value >= 1000 { buffer[i] = 0x30 + UInt8(value / 1000); i += 1 }
                buffer[i] = 0x30 + UInt8(value / 100 % 10); i += 1
            }
            buffer[i] = 0x30 + UInt8(value / 10 % 10); i += 1
        }
        buffer[i] = 0x30 + UInt8(value % 10)
        return i + 1
    }
}
