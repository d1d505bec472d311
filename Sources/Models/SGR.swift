/// Receives the normalized form of one SGR sequence from ``SGRNormalizer``, one kept group at a
/// time, in order. ``SGRRenderer`` writes it out as bytes; ``ConsoleStyle`` applies it.
protocol SGRConsumer {
    /// A kept parameter that stands alone: an attribute, a basic colour, a reset.
    mutating func simple(_ parameter: UInt16)
    /// `38` or `48` (`selector`) with an indexed colour: `selector;5;index`, index <= 255.
    mutating func indexed(_ selector: UInt16, _ index: UInt16)
    /// `38` or `48` (`selector`) with a direct colour: `selector;2;r;g;b`, each <= 255.
    mutating func rgb(_ selector: UInt16, _ red: UInt16, _ green: UInt16, _ blue: UInt16)
}

/// Re-emits the parameters of one SGR sequence (`CSI … m`) in a normalized form: only valid
/// attributes and colours survive, sub-parameter colours (`38:2::r:g:b`) become the semicolon
/// form, and the output is always `ESC [ p ; p … m` with plain decimal parameters.
///
/// Kept: 0-9, 21-29, 30-37, 39, 40-47, 49, 90-97, 100-107, `38;5;n` / `48;5;n` (n <= 255) and
/// `38;2;r;g;b` / `48;2;r;g;b` (each <= 255), and `4:0`-`4:5` (as 24 or 4). Everything else is
/// dropped, including the arguments of an extended colour it cannot use (`58;5;n` is dropped
/// whole, never read as blink). An SGR with nothing valid left is not emitted; `CSI m` is `CSI 0 m`.
/// The normalized form has at most as many parameters as the original.
enum SGRNormalizer {
    /// Longest normalized SGR: ESC [ + 16 parameters of at most 4 digits and a separator + m.
    static let maxOutputLength = 3 + ConsoleLimits.maxParameters * 5

    /// Hands the normalized groups of `parameters` to `consumer`, in order; returns false when
    /// nothing was kept.
    @inline(__always)
    static func normalize<Consumer: SGRConsumer>(
        _ parameters: UnsafeBufferPointer<UInt16>, subParameterMask: UInt32, into consumer: inout Consumer
    ) -> Bool {
        let count = parameters.count
        var kept = false
        func isSub(_ k: Int) -> Bool { k < 32 && subParameterMask & (1 << UInt32(k)) != 0 }
        var k = 0
        while k < count {
            let p = parameters[k]
            var end = k + 1
            while end < count && isSub(end) { end += 1 }
            if end > k + 1 {
                // Colon form: p:sub:sub…
                let first = parameters[k + 1]
                let subs = end - k - 1
                switch p {
                case 38, 48:
                    if first == 5, subs >= 2, parameters[k + 2] <= 255 {
                        consumer.indexed(p, parameters[k + 2])
                        kept = true
                    } else if first == 2, subs >= 4 {
                        // 38:2:cs:r:g:b (with colour-space id) or 38:2:r:g:b.
                        let base = subs >= 5 ? k + 3 : k + 2
                        let r = parameters[base], g = parameters[base + 1], b = parameters[base + 2]
                        if r <= 255 && g <= 255 && b <= 255 {
                            consumer.rgb(p, r, g, b)
                            kept = true
                        }
                    }
                case 4:
                    if first == 0 {
                        consumer.simple(24)
                        kept = true
                    } else if first <= 5 {
                        consumer.simple(4)
                        kept = true
                    }
                default:
                    break
                }
                k = end
                continue
            }
            switch p {
            case 0...9, 21...29, 30...37, 39, 40...47, 49, 90...97, 100...107:
                consumer.simple(p)
                kept = true
                k += 1
            case 38, 48, 58:
                guard k + 1 < count else { k += 1; break }
                let mode = parameters[k + 1]
                if mode == 5 {
                    if k + 2 < count && parameters[k + 2] <= 255 && p != 58 {
                        consumer.indexed(p, parameters[k + 2])
                        kept = true
                    }
                    k = min(k + 3, count)
                } else if mode == 2 {
                    if k + 4 < count && p != 58 {
                        let r = parameters[k + 2], g = parameters[k + 3], b = parameters[k + 4]
                        if r <= 255 && g <= 255 && b <= 255 {
                            consumer.rgb(p, r, g, b)
                            kept = true
                        }
                    }
                    k = min(k + 5, count)
                } else {
                    k += 2
                }
            default:
                k += 1
            }
        }
        return kept
    }

    /// The normalized parameters of `parameters` as a list (for tests and diagnostics).
    static func normalized(_ parameters: [UInt16], subParameterMask: UInt32 = 0) -> [UInt16] {
        var list = SGRParameterList()
        _ = parameters.withUnsafeBufferPointer { normalize($0, subParameterMask: subParameterMask, into: &list) }
        return list.values
    }

    /// The decimal digits of 0...255 as little-endian ASCII bytes, with the digit count in the
    /// top byte.
    static let decimals: [UInt32] = (0..<256).map { (value: Int) -> UInt32 in
        let digits = Array(String(value).utf8)
        var entry = UInt32(digits.count) << 24
        for (k, digit) in digits.enumerated() { entry |= UInt32(digit) << (8 * UInt32(k)) }
        return entry
    }
}

/// Collects the normalized parameters as a flat list.
struct SGRParameterList: SGRConsumer {
    var values: [UInt16] = []
    mutating func simple(_ parameter: UInt16) { values.append(parameter) }
    mutating func indexed(_ selector: UInt16, _ index: UInt16) { values += [selector, 5, index] }
    mutating func rgb(_ selector: UInt16, _ red: UInt16, _ green: UInt16, _ blue: UInt16) {
        values += [selector, 2, red, green, blue]
    }
}

/// Writes the normalized SGR as `ESC [ p;p… m` into a buffer with room for
/// ``SGRNormalizer/maxOutputLength`` bytes.
struct SGRRenderer: SGRConsumer {
    private let base: UnsafeMutablePointer<UInt8>
    /// Bytes written so far.
    private(set) var length = 2

    /// A renderer writing at `base`; it starts with `ESC [`.
    init(base: UnsafeMutablePointer<UInt8>) {
        self.base = base
        base[0] = 0x1B
        base[1] = 0x5B
    }

    /// Ends the sequence with `m`; returns its length.
    mutating func finish() -> Int {
        base[length] = 0x6D
        return length + 1
    }

    /// One parameter, after a separator unless it is the first. Normalized values are at most
    /// 255: the digits come from a table with one 4-byte store, whose spare byte is overwritten
    /// by what follows (the buffer has room).
    @inline(__always)
    private mutating func put(_ value: UInt16) {
        if length > 2 {
            base[length] = 0x3B
            length += 1
        }
        let entry = SGRNormalizer.decimals.withUnsafeBufferPointer { $0[Int(min(value, 255))] }
        UnsafeMutableRawPointer(base + length).storeBytes(of: entry & 0xFF_FFFF, as: UInt32.self)
        length += Int(entry >> 24)
    }

    mutating func simple(_ parameter: UInt16) { put(parameter) }

    mutating func indexed(_ selector: UInt16, _ index: UInt16) {
        put(selector)
        put(5)
        put(index)
    }

    mutating func rgb(_ selector: UInt16, _ red: UInt16, _ green: UInt16, _ blue: UInt16) {
        put(selector)
        put(2)
        put(red)
        put(green)
        put(blue)
    }
}
