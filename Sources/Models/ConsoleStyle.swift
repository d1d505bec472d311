/// A colour of console text, as the guest chose it with SGR.
public enum ConsoleColor: Sendable, Hashable {
    /// The terminal's default colour.
    case `default`
    /// One of the 16 ANSI colours (0-7 normal, 8-15 bright), from SGR 30-37/40-47/90-97/100-107.
    case ansi(UInt8)
    /// One of the 256 indexed colours, from SGR `38;5;n` / `48;5;n`.
    case indexed(UInt8)
    /// 24-bit colour, from SGR `38;2;r;g;b` / `48;2;r;g;b`.
    case rgb(UInt8, UInt8, UInt8)
}

/// Text attributes of console text.
public struct ConsoleAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = ConsoleAttributes(rawValue: 1 << 0)
    public static let dim = ConsoleAttributes(rawValue: 1 << 1)
    public static let italic = ConsoleAttributes(rawValue: 1 << 2)
    public static let underline = ConsoleAttributes(rawValue: 1 << 3)
    public static let reverse = ConsoleAttributes(rawValue: 1 << 4)
}

/// The style of a stretch of console text: colours and attributes.
public struct ConsoleStyle: Sendable, Hashable {
    public var foreground: ConsoleColor
    public var background: ConsoleColor
    public var attributes: ConsoleAttributes

    public init(foreground: ConsoleColor = .default, background: ConsoleColor = .default,
                attributes: ConsoleAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// Default colours, no attributes.
    public static let plain = ConsoleStyle()

    /// Applies the parameters of one SGR sequence (semicolon form, as ``ConsoleSanitizer`` emits
    /// it). Unknown or incomplete parameters are ignored; an empty list resets, like `CSI m`.
    public mutating func applySGR(_ parameters: [Int]) {
        applySGR(parameters.map { UInt16(clamping: $0) }[...])
    }

    mutating func applySGR<Parameters: RandomAccessCollection>(_ parameters: Parameters)
    where Parameters.Element == UInt16, Parameters.Index == Int {
        if parameters.isEmpty { self = .plain; return }
        var k = parameters.startIndex
        let end = parameters.endIndex
        while k < end {
            let p = parameters[k]
            k += 1
            guard p == 38 || p == 48 else {
                simple(p)
                continue
            }
            guard k < end else { return }
            let mode = parameters[k]
            if mode == 5, k + 1 < end, parameters[k + 1] <= 255 {
                indexed(p, parameters[k + 1])
                k += 2
            } else if mode == 2, k + 3 < end,
                      parameters[k + 1] <= 255, parameters[k + 2] <= 255, parameters[k + 3] <= 255 {
                rgb(p, parameters[k + 1], parameters[k + 2], parameters[k + 3])
                k += 4
            } else {
                return  // malformed: ignore the rest (cannot happen for sanitized input)
            }
        }
    }
}

/// A style applies a normalized SGR group by group, as ``SGRNormalizer`` hands it over (the same
/// result as ``ConsoleStyle/applySGR(_:)`` on the normalized parameters).
extension ConsoleStyle: SGRConsumer {
    /// One parameter other than 38/48: an attribute, a basic colour, a reset; others are ignored.
    mutating func simple(_ parameter: UInt16) {
        let p = parameter
        switch p {
        case 0: self = .plain
        case 1: attributes.insert(.bold)
        case 2: attributes.insert(.dim)
        case 3: attributes.insert(.italic)
        case 4, 21: attributes.insert(.underline)
        case 7: attributes.insert(.reverse)
        case 22: attributes.subtract([.bold, .dim])
        case 23: attributes.remove(.italic)
        case 24: attributes.remove(.underline)
        case 27: attributes.remove(.reverse)
        case 30...37: foreground = .ansi(UInt8(p - 30))
        case 39: foreground = .default
        case 40...47: background = .ansi(UInt8(p - 40))
        case 49: background = .default
        case 90...97: foreground = .ansi(UInt8(p - 90 + 8))
        case 100...107: background = .ansi(UInt8(p - 100 + 8))
        default:
            break  // blink, hidden, strike-through, …: kept in the stream, not modelled
        }
    }

    /// `38;5;n` (foreground) or `48;5;n` (background), n <= 255.
    mutating func indexed(_ selector: UInt16, _ index: UInt16) {
        let color = ConsoleColor.indexed(UInt8(truncatingIfNeeded: index))
        if selector == 38 { foreground = color } else { background = color }
    }

    /// `38;2;r;g;b` (foreground) or `48;2;r;g;b` (background), each <= 255.
    mutating func rgb(_ selector: UInt16, _ red: UInt16, _ green: UInt16, _ blue: UInt16) {
        let color = ConsoleColor.rgb(UInt8(truncatingIfNeeded: red), UInt8(truncatingIfNeeded: green),
                                     UInt8(truncatingIfNeeded: blue))
        if selector == 38 { foreground = color } else { background = color }
    }
}
