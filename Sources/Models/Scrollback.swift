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
    private var ring: ConsoleLineRing
    private var builder = ConsoleLineBuilder()
    /// Number the next completed line gets (= the unfinished line's number).
    private var nextNumber = 0
    private var completedBytes = 0
    /// The style text is written in now.
    public private(set) var currentStyle = ConsoleStyle.plain

    private enum EscapeState: UInt8, Sendable { case none, escape, csi }
    private var escapeState = EscapeState.none
    private var sgrParameters: [UInt16] = []
    private var sgrCurrent: UInt16 = 0

    /// A scrollback keeping up to `capacity` completed lines (clamped to 1…``ConsoleLimits/maxScrollbackLines``).
    public init(capacity: Int = ConsoleLimits.defaultScrollbackLines) {
        self.capacity = min(max(capacity, 1), ConsoleLimits.maxScrollbackLines)
        self.ring = ConsoleLineRing(capacity: self.capacity)
    }

    // MARK: - Reading

    /// Lines available, including the unfinished last line.
    public var count: Int { ring.count + (hasPartialLine ? 1 : 0) }
    /// True when nothing is kept.
    public var isEmpty: Bool { count == 0 }
    /// Number of the oldest kept line.
    public var firstLineNumber: Int { nextNumber - ring.count }
    /// Number of the newest line (the unfinished one when there is one); `firstLineNumber - 1`
    /// when empty.
    public var lastLineNumber: Int { firstLineNumber + count - 1 }
    /// Numbers of the kept lines.
    public var lineNumbers: Range<Int> { firstLineNumber..<(firstLineNumber + count) }
    /// UTF-8 bytes of text kept (all lines, without terminators).
    public var totalBytes: Int { completedBytes + builder.bytes.count }
    /// True when the last line has text but no line feed yet.
    public var hasPartialLine: Bool { !builder.bytes.isEmpty }

    /// The line numbered `number`, or nil when it was evicted or does not exist yet.
    public func line(at number: Int) -> ConsoleLine? {
        let index = number - firstLineNumber
        if index >= 0 && index < ring.count { return ring[index] }
        if number == nextNumber { return partialLine }
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

    /// Calls `body` for each kept line, oldest first (the unfinished line last), without copying
    /// the completed lines.
    public func forEachLine(from number: Int? = nil, _ body: (ConsoleLine) throws -> Bool) rethrows {
        let start = max(0, (number ?? firstLineNumber) - firstLineNumber)
        var index = start
        while index < ring.count {
            if try !body(ring[index]) { return }
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
                var scalars = 0
                while i < n {
                    if i + 8 <= n && ConsoleText.isPrintableASCII(sanitized.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                        i += 8
                        scalars &+= 8
                        continue
                    }
                    let byte = sanitized[i]
                    if byte < 0x20 || byte == 0x7F { break }
                    if byte & 0xC0 != 0x80 { scalars &+= 1 }
                    i += 1
                }
                if i > start { write(UnsafeRawBufferPointer(rebasing: sanitized[start..<i]), scalars: scalars) }
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
                    sgrParameters.removeAll(keepingCapacity: true)
                    sgrCurrent = 0
                } else {
                    escapeState = .none  // not SGR: drop the ESC, handle the byte as usual
                }
            case .csi:
                let byte = sanitized[i]
                switch byte {
                case 0x30...0x39:
                    sgrCurrent = min(sgrCurrent &* 10 &+ UInt16(byte - 0x30), ConsoleLimits.maxParameterValue)
                    i += 1
                case 0x3B:
                    pushSGRParameter()
                    i += 1
                case 0x6D:
                    pushSGRParameter()
                    currentStyle.applySGR(sgrParameters[...])
                    escapeState = .none
                    i += 1
                default:
                    escapeState = .none  // not SGR: dropped, byte handled as usual
                }
            }
        }
    }

    /// Appends sanitized console bytes.
    public mutating func append(_ sanitized: [UInt8]) {
        sanitized.withUnsafeBytes { append($0) }
    }

    /// Forgets every line (numbering continues).
    public mutating func removeAll() {
        ring = ConsoleLineRing(capacity: capacity)
        nextNumber += builder.bytes.isEmpty ? 0 : 1
        builder = ConsoleLineBuilder()
        completedBytes = 0
    }

    private mutating func pushSGRParameter() {
        if sgrParameters.count < ConsoleLimits.maxParameters { sgrParameters.append(sgrCurrent) }
        sgrCurrent = 0
    }

    /// Resolves a pending CR before text or a tab.
    private mutating func resolveCarriageReturn() {
        guard builder.afterCR else { return }
        builder.afterCR = false
        if builder.bytes.count > ConsoleLimits.maxRewritableLineBytes {
            newLine()
        } else {
            builder.carriageReturn()
        }
    }

    private mutating func write(_ text: UnsafeRawBufferPointer, scalars: Int) {
        resolveCarriageReturn()
        var text = text
        var scalars = scalars
        if !builder.isAppending {
            let used = builder.overwrite(text, style: currentStyle)
            if used.bytes == text.count { return }
            text = UnsafeRawBufferPointer(rebasing: text[used.bytes...])
            scalars -= used.scalars
        }
        while true {
            let room = max(0, ConsoleLimits.maxLineBytes - builder.bytes.count)
            if text.count <= room {
                builder.append(text, scalars: scalars, style: currentStyle)
                return
            }
            // Split at a character boundary: text[cut] is the first byte of the next line.
            var cut = room
            while cut > 0 && text[cut] & 0xC0 == 0x80 { cut -= 1 }
            if cut == 0 && builder.bytes.isEmpty { cut = room }
            let piece = UnsafeRawBufferPointer(rebasing: text[..<cut])
            var pieceScalars = 0
            for byte in piece where byte & 0xC0 != 0x80 { pieceScalars += 1 }
            builder.append(piece, scalars: pieceScalars, style: currentStyle)
            newLine()
            text = UnsafeRawBufferPointer(rebasing: text[cut...])
            scalars -= pieceScalars
        }
    }

    private mutating func tab() {
        resolveCarriageReturn()
        var remaining = 8 - builder.column % 8
        if !builder.isAppending { remaining -= builder.advance(scalars: remaining) }
        guard remaining > 0 else { return }
        let spaces: (UInt64, UInt64) = (0x2020_2020_2020_2020, 0)
        withUnsafeBytes(of: spaces) { write(UnsafeRawBufferPointer(rebasing: $0[0..<remaining]), scalars: remaining) }
    }

    private mutating func newLine() {
        builder.afterCR = false
        let (bytes, runs) = builder.take()
        completedBytes += bytes.count
        completedBytes -= ring.append(ConsoleLine(number: nextNumber, utf8: bytes, styleRuns: runs))
        nextNumber += 1
    }
}

/// A fixed-capacity ring of lines, oldest first.
struct ConsoleLineRing: Sendable {
    let capacity: Int
    private var storage: [ConsoleLine] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { storage.count }

    subscript(index: Int) -> ConsoleLine {
        var position = head + index
        if position >= capacity { position -= capacity }
        return storage[position]
    }

    /// Appends `line`, evicting the oldest line when full; returns the evicted line's byte count.
    mutating func append(_ line: ConsoleLine) -> Int {
        if storage.count < capacity {
            storage.append(line)
            return 0
        }
        let evicted = storage[head].utf8.count
        storage[head] = line
        head += 1
        if head == capacity { head = 0 }
        return evicted
    }
}
