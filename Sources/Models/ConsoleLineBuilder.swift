/// The line a ``Scrollback`` is writing: bytes, style runs and a cursor. Text at the end is
/// appended; after a carriage return the cursor is back at column 0 and text overwrites the
/// line character by character, as on a terminal.
struct ConsoleLineBuilder: Sendable {
    var bytes: [UInt8] = []
    var runs: [ConsoleStyleRun] = []
    /// Byte offset of the cursor; `bytes.count` while appending.
    var cursor = 0
    /// Column (Unicode scalars) of the cursor, for tab stops.
    var column = 0
    /// A CR was seen and not yet resolved: an LF ends the line as it is, anything else moves
    /// the cursor to column 0 (or ends the line, when it is too long to rewrite).
    var afterCR = false

    var isAppending: Bool { cursor >= bytes.count }

    private var lastStyle: ConsoleStyle { runs.last?.style ?? .plain }

    /// Appends text at the end of the line (the cursor must be at the end).
    mutating func append(_ text: UnsafeRawBufferPointer, scalars: Int, style: ConsoleStyle) {
        if style != lastStyle { Self.push(&runs, at: bytes.count, style, limited: true) }
        bytes.append(contentsOf: text)
        cursor = bytes.count
        column += scalars
    }

    /// Overwrites characters from the cursor with characters of `text`, as many as both have.
    /// Returns how many bytes and scalars of `text` were used.
    mutating func overwrite(_ text: UnsafeRawBufferPointer, style: ConsoleStyle) -> (bytes: Int, scalars: Int) {
        var end = cursor
        var used = 0
        var scalars = 0
        let count = bytes.count
        while end < count && used < text.count {
            end += 1
            while end < count && bytes[end] & 0xC0 == 0x80 { end += 1 }
            used += 1
            while used < text.count && text[used] & 0xC0 == 0x80 { used += 1 }
            scalars += 1
        }
        let replaced = cursor..<end
        if !(runs.isEmpty && style == .plain) {
            restyle(replacing: replaced, newLength: used, style: style)
        }
        let newText = UnsafeRawBufferPointer(rebasing: text[0..<used])
        if replaced.count == used {
            bytes.withUnsafeMutableBytes { target in
                UnsafeMutableRawBufferPointer(rebasing: target[replaced]).copyMemory(from: newText)
            }
        } else {
            bytes.replaceSubrange(replaced, with: newText)
        }
        cursor += used
        column += scalars
        return (used, scalars)
    }

    /// Moves the cursor right over up to `scalars` existing characters; returns how many it passed.
    mutating func advance(scalars: Int) -> Int {
        var passed = 0
        while passed < scalars && cursor < bytes.count {
            cursor += 1
            while cursor < bytes.count && bytes[cursor] & 0xC0 == 0x80 { cursor += 1 }
            passed += 1
        }
        column += passed
        return passed
    }

    /// Back to column 0 (the line is kept and will be overwritten).
    mutating func carriageReturn() {
        cursor = 0
        column = 0
    }

    /// The finished line's bytes and runs (exact-size copies), and the builder emptied for the
    /// next line with its buffers kept.
    mutating func take() -> (bytes: [UInt8], runs: [ConsoleStyleRun]) {
        let count = bytes.count
        let copy = [UInt8](unsafeUninitializedCapacity: count) { target, initialized in
            bytes.withUnsafeBytes { source in
                if let base = target.baseAddress, let from = source.baseAddress, count > 0 {
                    UnsafeMutableRawPointer(base).copyMemory(from: from, byteCount: count)
                }
            }
            initialized = count
        }
        while let last = runs.last, last.utf8Offset >= count { runs.removeLast() }
        let runCopy = runs.isEmpty ? [] : runs.withUnsafeBufferPointer { Array($0) }
        bytes.removeAll(keepingCapacity: true)
        runs.removeAll(keepingCapacity: true)
        cursor = 0
        column = 0
        afterCR = false
        return (copy, runCopy)
    }

    /// A snapshot of the unfinished line.
    func snapshot() -> (bytes: [UInt8], runs: [ConsoleStyleRun]) {
        let count = bytes.count
        return (Array(bytes), runs.filter { $0.utf8Offset < count })
    }

    /// The style in effect at byte `offset`.
    private func style(at offset: Int) -> ConsoleStyle {
        var style = ConsoleStyle.plain
        for run in runs {
            if run.utf8Offset > offset { break }
            style = run.style
        }
        return style
    }

    /// Rebuilds the runs for bytes `replaced` becoming `newLength` bytes in `style`.
    private mutating func restyle(replacing replaced: Range<Int>, newLength: Int, style: ConsoleStyle) {
        let after = self.style(at: replaced.upperBound)
        let delta = newLength - replaced.count
        var rebuilt: [ConsoleStyleRun] = []
        rebuilt.reserveCapacity(runs.count + 2)
        for run in runs where run.utf8Offset < replaced.lowerBound { Self.push(&rebuilt, at: run.utf8Offset, run.style) }
        Self.push(&rebuilt, at: replaced.lowerBound, style)
        if replaced.upperBound < bytes.count {
            Self.push(&rebuilt, at: replaced.lowerBound + newLength, after)
        }
        for run in runs where run.utf8Offset > replaced.upperBound {
            Self.push(&rebuilt, at: run.utf8Offset + delta, run.style)
        }
        runs = rebuilt
    }

    /// Adds a run keeping the list minimal: no run repeating the previous style, no two runs at
    /// one offset, no leading plain run.
    private static func push(_ runs: inout [ConsoleStyleRun], at offset: Int, _ style: ConsoleStyle, limited: Bool = false) {
        while let last = runs.last, last.utf8Offset >= offset { runs.removeLast() }
        if (runs.last?.style ?? .plain) == style { return }
        if limited && runs.count >= ConsoleLimits.maxStyleRunsPerLine { return }
        runs.append(ConsoleStyleRun(utf8Offset: offset, style: style))
    }
}
