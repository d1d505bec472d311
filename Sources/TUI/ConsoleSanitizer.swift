/// What one guest byte turns into after sanitizing.
enum SanitizedOutput: Equatable {
    case scalar(Unicode.Scalar, Style)
    case newline, carriageReturn, backspace
    case tab(Style)
}

/// Turns hostile guest bytes into printable scalars and SGR styles. Every escape sequence except
/// SGR (colours and attributes) is dropped; invalid UTF-8 becomes U+FFFD. Bounded state.
struct ConsoleSanitizer: Sendable {
    /// Longest CSI parameter string kept; longer sequences are dropped.
    static let maxCSIParameterBytes = 64
    /// Longest OSC/DCS/APC string skipped before giving up and returning to text.
    static let maxStringBytes = 4096

    enum Mode: Sendable { case ground, escape, csi, string, stringEscape, charset }

    private(set) var style = Style()
    private var mode = Mode.ground
    private var params: [UInt8] = []
    private var csiInvalid = false
    private var stringBytes = 0
    private var utf8Value: UInt32 = 0
    private var utf8Needed = 0
    private var utf8Min: UInt32 = 0

    /// Feeds one byte; returns up to two outputs (an invalid UTF-8 sequence ends with U+FFFD
    /// and then the byte that broke it).
    mutating func feed(_ b: UInt8) -> (SanitizedOutput?, SanitizedOutput?) {
        if utf8Needed > 0 {
            if b & 0xC0 == 0x80 {
                utf8Value = utf8Value << 6 | UInt32(b & 0x3F)
                utf8Needed -= 1
                if utf8Needed == 0 { return (finishUTF8(), nil) }
                return (nil, nil)
            }
            utf8Needed = 0
            return (.scalar("\u{FFFD}", style), feedByte(b))
        }
        return (feedByte(b), nil)
    }

    private func finishUTF8() -> SanitizedOutput? {
        let v = utf8Value
        guard v >= utf8Min, v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v), let s = Unicode.Scalar(v) else {
            return .scalar("\u{FFFD}", style)
        }
        if (0x80...0x9F).contains(v) { return nil }  // C1 controls
        if s.properties.generalCategory == .format && v != 0x200D { return nil }  // bidi overrides etc.
        return .scalar(s, style)
    }

    private mutating func feedByte(_ b: UInt8) -> SanitizedOutput? {
        switch mode {
        case .ground:
            switch b {
            case 0x1B: mode = .escape; return nil
            case 0x0A: return .newline
            case 0x0D: return .carriageReturn
            case 0x08: return .backspace
            case 0x09: return .tab(style)
            case 0x00..<0x20, 0x7F: return nil
            case 0x20..<0x7F: return .scalar(Unicode.Scalar(b), style)
            case 0xC2...0xDF: utf8Value = UInt32(b & 0x1F); utf8Needed = 1; utf8Min = 0x80; return nil
            case 0xE0...0xEF: utf8Value = UInt32(b & 0x0F); utf8Needed = 2; utf8Min = 0x800; return nil
            case 0xF0...0xF4: utf8Value = UInt32(b & 0x07); utf8Needed = 3; utf8Min = 0x10000; return nil
            default: return .scalar("\u{FFFD}", style)
            }
        case .escape:
            switch b {
            case UInt8(ascii: "["): mode = .csi; params.removeAll(keepingCapacity: true); csiInvalid = false
            case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                mode = .string; stringBytes = 0
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"): mode = .charset
            case 0x1B: mode = .escape
            default: mode = .ground
            }
            return nil
        case .charset:
            mode = .ground; return nil
        case .csi:
            switch b {
            case 0x30...0x3F:
                if params.count < Self.maxCSIParameterBytes { params.append(b) } else { csiInvalid = true }
            case 0x20...0x2F: csiInvalid = true  // intermediates: never SGR
            case 0x40...0x7E:
                mode = .ground
                if b == UInt8(ascii: "m") && !csiInvalid { applySGR() }
            case 0x1B: mode = .escape
            case 0x18, 0x1A: mode = .ground
            default: break
            }
            return nil
        case .string:
            stringBytes += 1
            if b == 0x07 || stringBytes > Self.maxStringBytes { mode = .ground } else if b == 0x1B { mode = .stringEscape }
            return nil
        case .stringEscape:
            mode = b == UInt8(ascii: "\\") ? .ground : .string
            return nil
        }
    }

    private mutating func applySGR() {
        if let first = params.first, first >= 0x3C { return }  // private (<, =, >, ?)
        var numbers: [Int] = []
        var current: Int? = nil
        for p in params {
            if p >= 0x30 && p <= 0x39 {
                current = min(9999, (current ?? 0) * 10 + Int(p - 0x30))
            } else if p == UInt8(ascii: ";") || p == UInt8(ascii: ":") {
                numbers.append(current ?? 0); current = nil
            } else { return }
        }
        numbers.append(current ?? 0)
        var i = 0
        func color(_ at: inout Int) -> TerminalColor? {
            guard at + 1 < numbers.count else { return nil }
            if numbers[at + 1] == 5, at + 2 < numbers.count {
                let n = numbers[at + 2]; at += 2
                return (0...255).contains(n) ? .indexed(UInt8(n)) : nil
            }
            if numbers[at + 1] == 2, at + 4 < numbers.count {
                let r = numbers[at + 2], g = numbers[at + 3], b = numbers[at + 4]; at += 4
                guard (0...255).contains(r), (0...255).contains(g), (0...255).contains(b) else { return nil }
                return .rgb(UInt8(r), UInt8(g), UInt8(b))
            }
            at = numbers.count
            return nil
        }
        while i < numbers.count {
            let n = numbers[i]
            switch n {
            case 0: style = Style()
            case 1: style.attributes.insert(.bold)
            case 2: style.attributes.insert(.dim)
            case 3: style.attributes.insert(.italic)
            case 4: style.attributes.insert(.underline)
            case 7: style.attributes.insert(.reverse)
            case 22: style.attributes.remove([.bold, .dim])
            case 23: style.attributes.remove(.italic)
            case 24: style.attributes.remove(.underline)
            case 27: style.attributes.remove(.reverse)
            case 30...37: style.foreground = .indexed(UInt8(n - 30))
            case 38: if let c = color(&i) { style.foreground = c }
            case 39: style.foreground = .default
            case 40...47: style.background = .indexed(UInt8(n - 40))
            case 48: if let c = color(&i) { style.background = c }
            case 49: style.background = .default
            case 90...97: style.foreground = .indexed(UInt8(n - 90 + 8))
            case 100...107: style.background = .indexed(UInt8(n - 100 + 8))
            default: break
            }
            i += 1
        }
    }
}
