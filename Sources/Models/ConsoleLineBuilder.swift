/// The line a ``Scrollback`` is writing: bytes, style runs and a cursor. Text at the end is
/// appended; after a carriage return the cursor is back at column 0 and text overwrites the
/// line character by character, as on a terminal.
struct ConsoleLineBuilder: Sendable {
    var bytes: [UInt8] = []
    var runs: [ConsoleStyleRun] = []
    /// Byte offset of the cursor; `bytes.count` while appending.
    var cursor = 0
    /// A byte offset at or before the cursor whose column (Unicode scalars) is known; the
    /// cursor's column is computed from it only when needed (tabs), so plain appends count nothing.
    private var anchorByte = 0
    private var anchorColumn = 0
    /// A CR was seen and not yet resolved: an LF ends the line as it is, anything else moves
    /// the cursor to column 0 (or ends the line, when it is too long to rewrite).
    var afterCR = false

    var isAppending: Bool { cursor >= bytes.count }

    private var lastStyle: ConsoleStyle { runs.last?.style ?? .plain }

    /// The cursor's column (Unicode scalars from the start of the line).
    mutating func column() -> Int {
        var column = anchorColumn
        var index = anchorByte
        while index < cursor {
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        anchorByte = cursor
        anchorColumn = column
        return column
    }

    /// Appends text at the end of the line (the cursor must be at the end).
    mutating func append(_ text: UnsafeRawBufferPointer, style: ConsoleStyle) {
        if style != lastStyle { Self.push(&runs, at: bytes.count, style, limited: true) }
        bytes.append(contentsOf: text)
        cursor = bytes.count
    }

    /// Overwrites characters from the cursor with characters of `text`, as many as both have.
    /// Returns how many bytes and scalars of `text` were used.
    mutating func overwrite(_ text: UnsafeRawBufferPointer, style: ConsoleStyle) -> Int {
        let startColumn = column()
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
        anchorByte = cursor
        anchorColumn = startColumn + scalars
        return used
    }

    /// Moves the cursor right over up to `scalars` existing characters; returns how many it passed.
    mutating func advance(scalars: Int) -> Int {
        let startColumn = column()
        var passed = 0
        while passed < scalars && cursor < bytes.count {
            cursor += 1
            while cursor < bytes.count && bytes[cursor] & 0xC0 == 0x80 { cursor += 1 }
            passed += 1
        }
        anchorByte = cursor
        anchorColumn = startColumn + passed
        return passed
    }

    /// Back to column 0 (the line is kept and will be overwritten).
    mutating func carriageReturn() {
        cursor = 0
        anchorByte = 0
        anchorColumn = 0
    }

    /// The finished line's style runs (none for a plain line).
    mutating func finishedRuns() -> ArraySlice<ConsoleStyleRun> {
        while let last = runs.last, last.utf8Offset >= bytes.count { runs.removeLast() }
        return runs[...]
    }

    /// Empties the builder for the next line, keeping its buffers.
    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        runs.removeAll(keepingCapacity: true)
        cursor = 0
        anchorByte = 0
        anchorColumn = 0
        afterCR = false
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
