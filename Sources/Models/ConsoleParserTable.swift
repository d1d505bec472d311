/// States of the console escape-sequence parser (a reduced VT500 state machine: everything that
/// is not text or SGR is recognised only far enough to be dropped).
enum ConsoleParserState: UInt8, CaseIterable, Sendable {
    /// Text.
    case ground = 0
    /// After ESC.
    case escape
    /// After ESC and one or more intermediate bytes (ESC ( B, ESC # 8, …).
    case escapeIntermediate
    /// After CSI (ESC [), before any parameter byte.
    case csiEntry
    /// In the parameter bytes of a control sequence.
    case csiParam
    /// In the intermediate bytes of a control sequence.
    case csiIntermediate
    /// A malformed control sequence, ignored up to its final byte.
    case csiIgnore
    /// In an OSC, DCS, SOS, PM or APC string, dropped up to ST (ESC \) or BEL.
    case string
    /// After ESC inside a string: `\` ends the string, anything else ends it and starts a new escape.
    case stringEscape

    static let count = 9
}

/// What a byte is, for the parser. One class per distinct behaviour in some state.
enum ConsoleByteClass: UInt8, CaseIterable {
    /// HT, LF, CR: kept in text (and executed inside sequences, as a terminal would).
    case keptControl = 0
    /// Other C0 controls (NUL, BS, VT, FF, SO, SI, …): dropped.
    case droppedControl
    /// BEL: dropped, but terminates a string.
    case bell
    /// CAN, SUB: abort any sequence.
    case cancel
    /// ESC.
    case escape
    /// 0x20-0x2F.
    case intermediate
    /// 0x30-0x39.
    case digit
    /// ':' (sub-parameter separator).
    case colon
    /// ';' (parameter separator).
    case semicolon
    /// 0x3C-0x3F ('<', '=', '>', '?'): private-parameter markers.
    case privateMarker
    /// 0x40-0x7E not listed below: final bytes.
    case final
    /// '[': after ESC, starts a control sequence.
    case csiIntroducer
    /// ']', 'P', 'X', '^', '_': after ESC, start an OSC, DCS, SOS, PM or APC string.
    case stringIntroducer
    /// '\': after ESC inside a string, the string terminator (ST).
    case stringTerminator
    /// 'm': the final byte of SGR.
    case sgrFinal
    /// DEL: ignored everywhere.
    case delete
    /// 0x80-0xFF: UTF-8 lead and continuation bytes.
    case high

    static let count = 17
}

/// What the parser does with a byte, besides moving to the next state.
enum ConsoleParserAction: UInt8, Sendable {
    /// Nothing: the byte is dropped.
    case ignore = 0
    /// Append the byte itself to the output (HT, LF, CR inside a sequence).
    case emitControl
    /// Start a new escape sequence (clear intermediates).
    case enterEscape
    /// Count an intermediate byte.
    case collectIntermediate
    /// Start a control sequence (clear parameters).
    case enterCSI
    /// A parameter digit.
    case parameterDigit
    /// ';'.
    case parameterSeparator
    /// ':'.
    case subParameterSeparator
    /// A private marker ('?' etc.): the sequence cannot be SGR.
    case privateMarker
    /// 'm' ends a control sequence: re-emit it as normalized SGR if it is a plain SGR.
    case dispatchSGR
    /// Start an OSC/DCS/SOS/PM/APC string.
    case enterString
    /// One byte of a string (counted against the string limit).
    case stringByte
    /// A high byte inside an escape or control sequence: abandon the sequence and handle the
    /// byte again as text.
    case reprocessInGround
    /// ESC inside a string followed by something other than '\': the string ended; handle the
    /// byte again as the byte after ESC.
    case reprocessInEscape
}

/// One entry of ``ConsoleParserTable/transitions``: what to do with a byte and the state after it.
struct ConsoleTransition: Sendable {
    var action: ConsoleParserAction
    var next: ConsoleParserState
}

/// The parameters of the control sequence being parsed, stored inline (no heap allocation, no
/// reference counting): at most ``ConsoleLimits/maxParameters`` values, further ones are ignored.
struct ConsoleParameters: Sendable {
    /// Room for 16 values (``ConsoleLimits/maxParameters``).
    private var storage: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
                          UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// Values kept so far.
    private(set) var count = 0

    /// Values the storage holds; the effective limit is the smaller of this and the configured one.
    private static let room = 16
    static let limit = min(room, ConsoleLimits.maxParameters)

    /// Forgets every value.
    @inline(__always)
    mutating func removeAll() { count = 0 }

    /// Adds `value` unless ``limit`` values are kept already.
    @inline(__always)
    mutating func append(_ value: UInt16) {
        guard count < Self.limit else { return }
        let index = count
        withUnsafeMutablePointer(to: &storage) { tuple in
            tuple.withMemoryRebound(to: UInt16.self, capacity: Self.room) { $0[index] = value }
        }
        count = index + 1
    }

    /// Calls `body` with the kept values.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt16>) -> R) -> R {
        var copy = storage
        let count = self.count
        return withUnsafePointer(to: &copy) { tuple in
            tuple.withMemoryRebound(to: UInt16.self, capacity: Self.room) {
                body(UnsafeBufferPointer(start: $0, count: count))
            }
        }
    }
}

/// The byte-class and transition tables of ``ConsoleSanitizer``.
enum ConsoleParserTable {
    /// Byte → ``ConsoleByteClass`` raw value.
    static let byteClasses: [UInt8] = (0..<256).map { classify(UInt8($0)).rawValue }

    /// `transitions[state * ConsoleByteClass.count + class]`.
    static let transitions: [ConsoleTransition] = {
        var table = [ConsoleTransition](
            repeating: ConsoleTransition(action: .ignore, next: .ground),
            count: ConsoleParserState.count * ConsoleByteClass.count)
        for state in ConsoleParserState.allCases {
            for byteClass in ConsoleByteClass.allCases {
                let (action, next) = transition(state, byteClass)
                table[Int(state.rawValue) * ConsoleByteClass.count + Int(byteClass.rawValue)] =
                    ConsoleTransition(action: action, next: next)
            }
        }
        return table
    }()

    static func classify(_ byte: UInt8) -> ConsoleByteClass {
        switch byte {
        case 0x09, 0x0A, 0x0D: return .keptControl
        case 0x07: return .bell
        case 0x18, 0x1A: return .cancel
        case 0x1B: return .escape
        case 0x00...0x1F: return .droppedControl
        case 0x20...0x2F: return .intermediate
        case 0x30...0x39: return .digit
        case 0x3A: return .colon
        case 0x3B: return .semicolon
        case 0x3C...0x3F: return .privateMarker
        case 0x5B: return .csiIntroducer
        case 0x5D, 0x50, 0x58, 0x5E, 0x5F: return .stringIntroducer
        case 0x5C: return .stringTerminator
        case 0x6D: return .sgrFinal
        case 0x40...0x7E: return .final
        case 0x7F: return .delete
        default: return .high
        }
    }

    /// The transition for a byte of class `byteClass` in `state` (never called for ground bytes
    /// by the sanitizer's fast path, but defined for completeness).
    static func transition(
        _ state: ConsoleParserState, _ byteClass: ConsoleByteClass
    ) -> (ConsoleParserAction, ConsoleParserState) {
        if state == .string || state == .stringEscape {
            return stringTransition(state, byteClass)
        }
        // Transitions from anywhere outside strings.
        switch byteClass {
        case .cancel: return (.ignore, .ground)
        case .escape: return (.enterEscape, .escape)
        case .keptControl: return (.emitControl, state)
        case .droppedControl, .bell, .delete: return (.ignore, state)
        case .high: return (.reprocessInGround, .ground)
        default: break
        }
        switch state {
        case .ground:
            return (.ignore, .ground)
        case .escape:
            switch byteClass {
            case .intermediate: return (.collectIntermediate, .escapeIntermediate)
            case .csiIntroducer: return (.enterCSI, .csiEntry)
            case .stringIntroducer: return (.enterString, .string)
            default: return (.ignore, .ground)  // ESC final (RIS, DECSC, keypad modes, …): dropped
            }
        case .escapeIntermediate:
            if byteClass == .intermediate { return (.collectIntermediate, .escapeIntermediate) }
            return (.ignore, .ground)
        case .csiEntry, .csiParam:
            switch byteClass {
            case .digit: return (.parameterDigit, .csiParam)
            case .semicolon: return (.parameterSeparator, .csiParam)
            case .colon: return (.subParameterSeparator, .csiParam)
            case .privateMarker:
                return state == .csiEntry ? (.privateMarker, .csiParam) : (.ignore, .csiIgnore)
            case .intermediate: return (.collectIntermediate, .csiIntermediate)
            case .sgrFinal: return (.dispatchSGR, .ground)
            default: return (.ignore, .ground)  // any other CSI: dropped
            }
        case .csiIntermediate:
            switch byteClass {
            case .intermediate: return (.collectIntermediate, .csiIntermediate)
            case .digit, .colon, .semicolon, .privateMarker: return (.ignore, .csiIgnore)
            default: return (.ignore, .ground)  // with intermediates, even 'm' is not SGR
            }
        case .csiIgnore:
            switch byteClass {
            case .intermediate, .digit, .colon, .semicolon, .privateMarker: return (.ignore, .csiIgnore)
            default: return (.ignore, .ground)
            }
        case .string, .stringEscape:
            return (.ignore, .ground)  // handled above
        }
    }

    private static func stringTransition(
        _ state: ConsoleParserState, _ byteClass: ConsoleByteClass
    ) -> (ConsoleParserAction, ConsoleParserState) {
        if state == .string {
            switch byteClass {
            case .bell: return (.ignore, .ground)  // BEL terminates (xterm style)
            case .escape: return (.ignore, .stringEscape)
            case .cancel: return (.ignore, .ground)
            default: return (.stringByte, .string)
            }
        }
        // stringEscape
        switch byteClass {
        case .stringTerminator: return (.ignore, .ground)
        default: return (.reprocessInEscape, .escape)
        }
    }
}
