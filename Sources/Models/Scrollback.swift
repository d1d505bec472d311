/// A bounded history of console lines, fed with sanitized bytes (the output of
/// ``ConsoleSanitizer``).
///
/// LF ends a line; CR moves back to column 0 so the following text overwrites the line (CR LF
/// keeps the line intact); HT moves to the next multiple of 8 columns; SGR changes the current
/// style. Lines are numbered from 0 for the first line ever received; when more than `capacity`
/// lines have been completed the oldest are evicted, and the numbers of the rest do not change.
/// The unfinished last line is visible as the last line. A line longer than
/// ``ConsoleLimits/maxLineBytes`` is split. Bytes that sanitized output never contains (other
/// controls, other escape sequences) are dropped.
public struct Scrollback: Sendable {
    /// Completed lines kept at most.
    public let capacity: Int
    private var store: ConsoleLineStore
    private var builder = ConsoleLineBuilder()
    /// Number the next completed line gets (= the unfinished line's number).
    private var nextNumber = 0
    /// The style text is written in now.
    public private(set) var currentStyle = ConsoleStyle.plain
    /// Changes with every SGR that may change `currentStyle`: the line builder compares styles
    /// once per change instead of on every append.
    private var styleVersion: UInt64 = 0

    private enum EscapeState: UInt8, Sendable { case none, escape, csi }
    private var escapeState = EscapeState.none
    private var sgrParameters = ConsoleParameters()
    private var sgrCurrent: UInt16 = 0

    /// A scrollback keeping up to `capacity` completed lines (clamped to 1…``ConsoleLimits/maxScrollbackLines``).
    public init(capacity: Int = ConsoleLimits.defaultScrollbackLines) {
        self.capacity = min(max(capacity, 1), ConsoleLimits.maxScrollbackLines)
        self.store = ConsoleLineStore(capacity: self.capacity)
    }

    // MARK: - Reading

    /// Lines available, including the unfinished last line.
    public var count: Int { store.count + (hasPartialLine ? 1 : 0) }
    /// True when nothing is kept.
    public var isEmpty: Bool { count == 0 }
    /// Number of the oldest kept line.
    public var firstLineNumber: Int { nextNumber - store.count }
    /// Number of the newest line (the unfinished one when there is one); `firstLineNumber - 1`
    /// when empty.
    public var lastLineNumber: Int { firstLineNumber + count - 1 }
    /// Numbers of the kept lines.
    public var lineNumbers: Range<Int> { firstLineNumber..<(firstLineNumber + count) }
    /// UTF-8 bytes of text kept (all lines, without terminators).
    public var totalBytes: Int { store.bytes + builder.count }
    /// Approximate heap bytes this scrollback holds (text chunks, line records, style runs and
    /// the line being written).
    public var memoryBytes: Int {
        store.memoryBytes + builder.byteCapacity + builder.runs.capacity * MemoryLayout<ConsoleStyleRun>.stride
    }
    /// True when the last line has text but no line feed yet.
    public var hasPartialLine: Bool { !builder.isEmpty }

    /// The line numbered `number`, or nil when it was evicted or does not exist yet.
    public func line(at number: Int) -> ConsoleLine? {
        let index = number - firstLineNumber
        if index >= 0 && index < store.count { return completedLine(index) }
        if number == nextNumber { return partialLine }
        return nil
    }

    /// Completed line `index` (0 = oldest kept), copied out of the store.
    private func completedLine(_ index: Int) -> ConsoleLine {
        ConsoleLine(number: firstLineNumber + index,
                    utf8: store.withBytes(ofLine: index) { Array($0) }, styleRuns: store.runs(ofLine: index))
    }

    /// Calls `body` with the number and bytes of each kept line from `number` on (the unfinished
    /// line last), without copying, until it returns false.
    func forEachLineBytes(from number: Int? = nil, _ body: (Int, UnsafeRawBufferPointer) -> Bool) {
        var index = max(0, (number ?? firstLineNumber) - firstLineNumber)
        while index < store.count {
            if !store.withBytes(ofLine: index, { body(firstLineNumber + index, $0) }) { return }
            index += 1
        }
        if hasPartialLine { _ = builder.withBytes { body(nextNumber, $0) } }
    }

    /// Calls `body` with the number and bytes of line `number`, if it is kept.
    func withLineBytes<R>(_ number: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        let index = number - firstLineNumber
        if index >= 0 && index < store.count { return store.withBytes(ofLine: index, body) }
        if number == nextNumber && hasPartialLine { return builder.withBytes(body) }
        return nil
    }

    /// The unfinished last line, if it has text.
    public var partialLine: ConsoleLine? {
        guard hasPartialLine else { return nil }
        let (bytes, runs) = builder.snapshot()
        return ConsoleLine(number: nextNumber, utf8: bytes, styleRuns: runs)
    }

    /// The kept lines whose numbers are in `numbers`, in order.
    public func lines(in numbers: Range<Int>) -> [ConsoleLine] {
        let clamped = numbers.clamped(to: lineNumbers)
        return clamped.compactMap { line(at: $0) }
    }

    /// Calls `body` for each kept line from `number` (default: the oldest) on, the unfinished line
    /// last, until it returns false.
    public func forEachLine(from number: Int? = nil, _ body: (ConsoleLine) throws -> Bool) rethrows {
        let start = max(0, (number ?? firstLineNumber) - firstLineNumber)
        var index = start
        while index < store.count {
            if try !body(completedLine(index)) { return }
            index += 1
        }
        if let partial = partialLine { _ = try body(partial) }
    }

    // MARK: - Writing

    /// Appends sanitized console bytes.
    public mutating func append(_ sanitized: UnsafeRawBufferPointer) {
        let n = sanitized.count
        var i = 0
        while i < n {
            switch escapeState {
            case .none:
                let start = i
                scan: while i < n {
                    while i &+ 8 <= n {
                        let word = UInt64(littleEndian: sanitized.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                        let stops = ConsoleText.controls(word)
                        if stops == 0 {
                            i &+= 8
                            continue
                        }
                        i &+= stops.trailingZeroBitCount &>> 3
                        break scan
                    }
                    guard i < n else { break }
                    let byte = sanitized[i]
                    if byte < 0x20 || byte == 0x7F { break }
                    i += 1
                }
                if i > start { write(UnsafeRawBufferPointer(rebasing: sanitized[start..<i])) }
                guard i < n else { return }
                let byte = sanitized[i]
                i += 1
                switch byte {
                case 0x0A: newLine()
                case 0x0D: builder.afterCR = true
                case 0x09: tab()
                case 0x1B: escapeState = .escape
                default: break
                }
            case .escape:
                if sanitized[i] == 0x5B {
                    i += 1
                    escapeState = .csi
                    sgrParameters.removeAll()
                    sgrCurrent = 0
                } else {
                    escapeState = .none  // not SGR: drop the ESC, handle the byte as usual
                }
            case .csi:
                var current = sgrCurrent  // a local: no store/load round trip per digit
                while i < n {
                    let byte = sanitized[i]
                    if byte &- 0x30 < 10 {
                        current = min(current &* 10 &+ UInt16(byte &- 0x30), ConsoleLimits.maxParameterValue)
                    } else if byte == 0x3B {
                        pushSGRParameter(current)
                        current = 0
                    } else {
                        if byte == 0x6D {
                            pushSGRParameter(current)
                            sgrParameters.withUnsafeBufferPointer { currentStyle.applySGR($0) }
                            styleVersion &+= 1
                            i += 1
                        }  // else not SGR: dropped, the byte is handled as usual
                        current = 0
                        escapeState = .none
                        break
                    }
                    i += 1
                }
                sgrCurrent = current
            }
        }
    }

    /// Appends sanitized console bytes.
    public mutating func append(_ sanitized: [UInt8]) {
        sanitized.withUnsafeBytes { append($0) }
    }

    /// Forgets every line (numbering continues).
    public mutating func removeAll() {
        store = ConsoleLineStore(capacity: capacity)
        nextNumber += builder.isEmpty ? 0 : 1
        builder = ConsoleLineBuilder()
    }

    private mutating func pushSGRParameter(_ value: UInt16) {
        sgrParameters.append(value)  // ignored past ConsoleLimits.maxParameters
    }

    /// Resolves a pending CR before text or a tab.
    @inline(__always)
    private mutating func resolveCarriageReturn() {
        guard builder.afterCR else { return }
        builder.afterCR = false
        if builder.count > ConsoleLimits.maxRewritableLineBytes {
            newLine()
        } else {
            builder.carriageReturn()
        }
    }

    /// Writes text at the cursor: appended with one copy when the cursor is at the end of the
    /// line and the text fits, otherwise overwritten and/or split into lines.
    private mutating func write(_ text: UnsafeRawBufferPointer) {
        resolveCarriageReturn()
        if builder.isAppending && text.count <= ConsoleLimits.maxLineBytes - builder.count {
            builder.append(text, style: currentStyle, version: styleVersion)
            return
        }
        writeSlowly(text)
    }

    /// ``write(_:)`` after a CR (overwriting) or past the line length limit (splitting).
    private mutating func writeSlowly(_ text: UnsafeRawBufferPointer) {
        var text = text
        if !builder.isAppending {
            let used = builder.overwrite(text, style: currentStyle)
            if used == text.count { return }
            text = UnsafeRawBufferPointer(rebasing: text[used...])
        }
        while true {
            let room = max(0, ConsoleLimits.maxLineBytes - builder.count)
            if text.count <= room {
                builder.append(text, style: currentStyle, version: styleVersion)
                return
            }
            // Split at a character boundary: text[cut] is the first byte of the next line.
            var cut = room
            while cut > 0 && text[cut] & 0xC0 == 0x80 { cut -= 1 }
            if cut == 0 && builder.isEmpty { cut = room }
            builder.append(UnsafeRawBufferPointer(rebasing: text[..<cut]), style: currentStyle, version: styleVersion)
            newLine()
            text = UnsafeRawBufferPointer(rebasing: text[cut...])
        }
    }

    private mutating func tab() {
        resolveCarriageReturn()
        var remaining = 8 - builder.column() % 8
        if !builder.isAppending { remaining -= builder.advance(scalars: remaining) }
        guard remaining > 0 else { return }
        let spaces: (UInt64, UInt64) = (0x2020_2020_2020_2020, 0)
        withUnsafeBytes(of: spaces) { write(UnsafeRawBufferPointer(rebasing: $0[0..<remaining])) }
    }

    private mutating func newLine() {
        builder.finishLine(into: &store)
        while store.bytes > ConsoleLimits.maxScrollbackBytes { store.removeFirst() }
        nextNumber += 1
    }
}

/// The engine path: ``ConsoleSanitizer`` hands its output straight to the scrollback, so the
/// sanitized bytes are never re-encoded and parsed again.
extension Scrollback: ConsoleSanitizerSink {
    static var acceptsControlsInText: Bool { false }

    mutating func text(_ bytes: UnsafeRawBufferPointer) { write(bytes) }

    mutating func control(_ byte: UInt8) {
        switch byte {
        case 0x0A: newLine()
        case 0x0D: builder.afterCR = true
        case 0x09: tab()
        default: break
        }
    }

    mutating func sgr(_ parameters: UnsafeBufferPointer<UInt16>, subParameterMask: UInt32) {
        if SGRNormalizer.normalize(parameters, subParameterMask: subParameterMask, into: &currentStyle) {
            styleVersion &+= 1
        }
    }
}
