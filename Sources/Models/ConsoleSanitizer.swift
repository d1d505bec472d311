/// A streaming sanitizer for guest console output: the security boundary between guest bytes and
/// the user's terminal.
///
/// It keeps printable text (as valid UTF-8), LF, CR, HT and SGR colour/attribute sequences
/// (re-emitted in a normalized form, see ``SGRNormalizer``), and drops everything else: OSC
/// (titles, clipboard, hyperlinks), DCS, SOS, PM and APC strings, every other escape and control
/// sequence (RIS, cursor movement, screen and mouse modes, queries), the other C0 controls and C1
/// controls. Invalid UTF-8 becomes U+FFFD per maximal subpart; raw bytes 0x80-0x9F are never
/// interpreted as 8-bit controls. All limits are in ``ConsoleLimits``.
///
/// The parser is table driven (``ConsoleParserTable``) and a value: its state is carried between
/// calls, so a sequence or a UTF-8 character split across chunks gives the same output as the
/// same bytes in one chunk.
public struct ConsoleSanitizer: Sendable {
    var state: ConsoleParserState = .ground
    var utf8 = UTF8Repair()
    /// Bytes of the current escape/control sequence (limit ``ConsoleLimits/maxControlSequenceLength``).
    var sequenceLength = 0
    /// Bytes of the current string (limit ``ConsoleLimits/maxStringLength``).
    var stringLength = 0
    var intermediates = 0
    var privateMarker = false
    var parameters = ConsoleParameters()
    /// Bit k set: parameter k was introduced by ':' (a sub-parameter).
    var subParameterMask: UInt32 = 0
    var currentParameter: UInt32 = 0

    /// A sanitizer in the ground (text) state.
    public init() {}

    /// Sanitizes `input`, appending the result to `output`. State carries over to the next call.
    public mutating func sanitize(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        guard !input.isEmpty else { return }
        let needed = output.count + input.count + 16
        if output.capacity < needed {
            // Grow geometrically: exact reservations on every call would copy quadratically
            // when one array collects many chunks.
            output.reserveCapacity(max(needed, output.capacity * 2))
        }
        ConsoleByteSink.withSink(appendingTo: &output) { sanitize(input, into: &$0) }
    }

    /// Sanitizes `input` into any sink (``Scrollback`` takes the pieces directly).
    mutating func sanitize<Sink: ConsoleSanitizerSink>(_ input: UnsafeRawBufferPointer, into sink: inout Sink) {
        guard !input.isEmpty else { return }
        ConsoleParserTable.byteClasses.withUnsafeBufferPointer { classes in
            ConsoleParserTable.transitions.withUnsafeBufferPointer { transitions in
                run(input, classes: classes, transitions: transitions, into: &sink)
            }
        }
    }

    /// Sanitizes `input`, appending the result to `output`.
    public mutating func sanitize(_ input: [UInt8], into output: inout [UInt8]) {
        input.withUnsafeBytes { sanitize($0, into: &output) }
    }

    /// Sanitizes `input` and returns the result.
    public mutating func sanitize(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        sanitize(input, into: &output)
        return output
    }

    /// Ends the stream: a dangling partial UTF-8 character becomes U+FFFD, an unfinished escape
    /// sequence or string is dropped, and the sanitizer is back in its initial state.
    public mutating func finish(into output: inout [UInt8]) {
        ConsoleByteSink.withSink(appendingTo: &output) { finish(into: &$0) }
    }

    /// Ends the stream into any sink.
    mutating func finish<Sink: ConsoleSanitizerSink>(into sink: inout Sink) {
        utf8.flush(into: &sink)
        state = .ground
        sequenceLength = 0
        stringLength = 0
    }

    /// Sanitizes one complete byte string (a fresh sanitizer, finished at the end).
    public static func sanitize(_ input: [UInt8]) -> [UInt8] {
        var sanitizer = ConsoleSanitizer()
        var output = sanitizer.sanitize(input)
        sanitizer.finish(into: &output)
        return output
    }

    // MARK: - The machine

    private mutating func run<Sink: ConsoleSanitizerSink>(
        _ input: UnsafeRawBufferPointer, classes: UnsafeBufferPointer<UInt8>,
        transitions: UnsafeBufferPointer<ConsoleTransition>, into output: inout Sink
    ) {
        guard let base = input.baseAddress else { return }
        let n = input.count
        var i = 0
        while i < n {
            switch state {
            case .ground:
                if utf8.isPending {
                    if utf8.continue(base.load(fromByteOffset: i, as: UInt8.self), into: &output) { i += 1 }
                    continue
                }
                // Fast path: a run of printable ASCII and complete valid characters (and HT/LF/CR
                // when the sink takes them as text) goes to the sink in one piece.
                let start = i
                i = ConsoleText.scanText(base, from: i, end: n, controlsInText: Sink.acceptsControlsInText)
                if i > start {
                    output.text(UnsafeRawBufferPointer(start: base + start, count: i - start))
                }
                guard i < n else { return }
                let byte = base.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                if byte == 0x1B {
                    if i < n && base.load(fromByteOffset: i, as: UInt8.self) == 0x5B {
                        // ESC [ in one chunk: straight to the control sequence (as two steps would).
                        i += 1
                        enterCSI()
                        state = .csiEntry
                        sequenceLength = 2
                    } else {
                        enterEscape()
                    }
                } else if byte == 0x0A || byte == 0x0D || byte == 0x09 {
                    output.control(byte)
                } else if byte >= 0x80 {
                    utf8.start(byte, into: &output)
                }  // other C0 controls and DEL: dropped
            case .string:
                // Fast path: skip string bytes up to a terminator or the limit.
                let end = min(n, i + (ConsoleLimits.maxStringLength - stringLength))
                let start = i
                while i < end {
                    let byte = base.load(fromByteOffset: i, as: UInt8.self)
                    if byte == 0x1B || byte == 0x07 || byte == 0x18 || byte == 0x1A { break }
                    i += 1
                }
                stringLength += i - start
                if stringLength >= ConsoleLimits.maxStringLength {
                    state = .ground  // abandoned: what follows is handled as text
                    continue
                }
                if i < n { step(base.load(fromByteOffset: i, as: UInt8.self), &i, classes: classes, transitions: transitions, into: &output) }
            case .csiEntry, .csiParam:
                // Fast path: parameter digits and separators (in csiEntry they lead to csiParam with
                // the same actions), then SGR's final byte.
                let start = i
                var current = currentParameter  // a local: no store/load round trip per digit
                // Stop where the step-by-step path would abandon the sequence, so the result does
                // not depend on how the input is chunked.
                let end = min(n, i + max(0, ConsoleLimits.maxControlSequenceLength - sequenceLength) + 1)
                while i < end {
                    let byte = base.load(fromByteOffset: i, as: UInt8.self)
                    if byte &- 0x30 < 10 {
                        current = min(current &* 10 &+ UInt32(byte &- 0x30), UInt32(ConsoleLimits.maxParameterValue))
                    } else if byte == 0x3B {
                        currentParameter = current
                        pushParameter()
                        current = 0
                    } else {
                        break
                    }
                    i += 1
                }
                currentParameter = current
                if i > start {
                    state = .csiParam
                    sequenceLength += i - start
                    if sequenceLength > ConsoleLimits.maxControlSequenceLength {
                        state = .ground  // abandoned
                        continue
                    }
                }
                guard i < n else { return }
                if base.load(fromByteOffset: i, as: UInt8.self) == 0x6D {
                    // SGR's final byte (the table's dispatchSGR, without the lookup).
                    i += 1
                    state = .ground
                    if !privateMarker && intermediates == 0 {
                        pushParameter()
                        dispatchSGR(into: &output)
                    }
                    continue
                }
                step(base.load(fromByteOffset: i, as: UInt8.self), &i, classes: classes, transitions: transitions, into: &output)
            default:
                step(base.load(fromByteOffset: i, as: UInt8.self), &i, classes: classes, transitions: transitions, into: &output)
            }
        }
    }

    @inline(__always)
    private mutating func enterEscape() {
        state = .escape
        intermediates = 0
        sequenceLength = 1
    }

    /// Clears what a control sequence collects.
    @inline(__always)
    private mutating func enterCSI() {
        parameters.removeAll()
        subParameterMask = 0
        currentParameter = 0
        privateMarker = false
        intermediates = 0
    }

    /// One table-driven transition for `byte` at `index` (advanced unless the byte is reprocessed).
    private mutating func step<Sink: ConsoleSanitizerSink>(
        _ byte: UInt8, _ index: inout Int, classes: UnsafeBufferPointer<UInt8>,
        transitions: UnsafeBufferPointer<ConsoleTransition>, into output: inout Sink
    ) {
        let entry = transitions[Int(state.rawValue) &* ConsoleByteClass.count &+ Int(classes[Int(byte)])]
        var next = entry.next
        index += 1
        switch entry.action {
        case .ignore:
            break
        case .emitControl:
            output.control(byte)
        case .enterEscape:
            enterEscape()
            return
        case .collectIntermediate:
            intermediates += 1
            if intermediates > ConsoleLimits.maxIntermediates && next == .csiIntermediate { next = .csiIgnore }
        case .enterCSI:
            enterCSI()
        case .parameterDigit:
            currentParameter = min(currentParameter &* 10 &+ UInt32(byte &- 0x30),
                                   UInt32(ConsoleLimits.maxParameterValue))
        case .parameterSeparator:
            pushParameter()
        case .subParameterSeparator:
            pushParameter()
            if parameters.count < 32 { subParameterMask |= 1 << UInt32(parameters.count) }
        case .privateMarker:
            privateMarker = true
        case .dispatchSGR:
            if !privateMarker && intermediates == 0 {
                pushParameter()
                dispatchSGR(into: &output)
            }
        case .enterString:
            stringLength = 0
        case .stringByte:
            stringLength += 1
            if stringLength >= ConsoleLimits.maxStringLength { next = .ground }
        case .reprocessInGround:
            index -= 1
        case .reprocessInEscape:
            index -= 1
            enterEscape()
            return
        }
        state = next
        if next.rawValue >= ConsoleParserState.escape.rawValue && next.rawValue <= ConsoleParserState.csiIgnore.rawValue {
            sequenceLength += 1
            if sequenceLength > ConsoleLimits.maxControlSequenceLength { state = .ground }  // abandoned
        }
    }

    @inline(__always)
    private func dispatchSGR<Sink: ConsoleSanitizerSink>(into output: inout Sink) {
        let mask = subParameterMask
        parameters.withUnsafeBufferPointer { output.sgr($0, subParameterMask: mask) }
    }

    @inline(__always)
    private mutating func pushParameter() {
        parameters.append(UInt16(truncatingIfNeeded: currentParameter))
        currentParameter = 0
    }
}
