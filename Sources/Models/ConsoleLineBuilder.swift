/// The line a ``Scrollback`` is writing: bytes, style runs and a cursor. Text at the end is
/// appended; after a carriage return the cursor is back at column 0 and text overwrites the
/// line character by character, as on a terminal.
struct ConsoleLineBuilder: Sendable {
    /// The line is `storage[0..<count]`; the rest is spare room (zeros or stale bytes), so text is
    /// appended with one copy and no per-append bookkeeping of the array.
    private var storage: [UInt8] = []
    /// Bytes in the line.
    private(set) var count = 0
    var runs: [ConsoleStyleRun] = []
    /// Byte offset of the cursor; `count` while appending.
    var cursor = 0
    /// A byte offset at or before the cursor whose column (Unicode scalars) is known; the
    /// cursor's column is computed from it only when needed (tabs), so plain appends count nothing.
    private var anchorByte = 0
    private var anchorColumn = 0
    /// A CR was seen and not yet resolved: an LF ends the line as it is, anything else moves
    /// the cursor to column 0 (or ends the line, when it is too long to rewrite).
    var afterCR = false
    /// A style version (see ``append(_:style:version:)``) known to need no new run at the end of
    /// the line; `nil` when unknown.
    private var settledStyleVersion: UInt64?

    var isEmpty: Bool { count == 0 }

    var isAppending: Bool { cursor >= count }

    /// Heap bytes held for the line's text.
    var byteCapacity: Int { storage.capacity }

    /// Calls `body` with the line's bytes, without copying.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// The cursor's column (Unicode scalars from the start of the line).
    mutating func column() -> Int {
        var column = anchorColumn
        var index = anchorByte
        while index < cursor {
            if storage[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        anchorByte = cursor
        anchorColumn = column
        return column
    }

    /// Appends text at the end of the line (the cursor must be at the end) with one copy.
    ///
    /// `version` identifies `style` (the scrollback changes it with every style change): once a
    /// version has been appended, appending it again needs no run check until the runs change
    /// some other way (a new line, an overwrite).
    @inline(__always)
    mutating func append(_ text: UnsafeRawBufferPointer, style: ConsoleStyle, version: UInt64) {
        if version != settledStyleVersion { settle(style, version: version) }
        let length = text.count
        guard length > 0, let source = text.baseAddress else { return }
        let start = count
        let end = start + length
        if end > storage.count { grow(to: end) }
        storage.withUnsafeMutableBytes { target in
            ConsoleText.copyBytes(to: target.baseAddress! + start, from: source, count: length)
        }
        count = end
        cursor = end
    }

    /// Starts a run at the end of the line for `style` unless the last run has that style.
    private mutating func settle(_ style: ConsoleStyle, version: UInt64) {
        settledStyleVersion = version
        if let last = runs.last {
            guard last.style != style else { return }
            if last.utf8Offset < count {
                // The usual case: the new run starts after the last one, whose style differs.
                if runs.count < ConsoleLimits.maxStyleRunsPerLine {
                    runs.append(ConsoleStyleRun(utf8Offset: count, style: style))
                }
            } else {
                Self.push(&runs, at: count, style, limited: true)
            }
        } else if style != .plain && ConsoleLimits.maxStyleRunsPerLine > 0 {
            runs.append(ConsoleStyleRun(utf8Offset: count, style: style))
        }
    }

    /// Makes room for `needed` bytes (at least doubling, keeping the line).
    private mutating func grow(to needed: Int) {
        var grown = [UInt8](repeating: 0, count: max(needed, storage.count * 2, 128))
        let count = self.count
        if count > 0 {
            grown.withUnsafeMutableBytes { target in
                storage.withUnsafeBytes { target.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
            }
        }
        storage = grown
    }

    /// Overwrites characters from the cursor with characters of `text`, as many as both have.
    /// Returns how many bytes and scalars of `text` were used.
    mutating func overwrite(_ text: UnsafeRawBufferPointer, style: ConsoleStyle) -> Int {
        let startColumn = column()
        var end = cursor
        var used = 0
        var scalars = 0
        let count = self.count
        while end < count && used < text.count {
            end += 1
            while end < count && storage[end] & 0xC0 == 0x80 { end += 1 }
            used += 1
            while used < text.count && text[used] & 0xC0 == 0x80 { used += 1 }
            scalars += 1
        }
        let replaced = cursor..<end
        if !(runs.isEmpty && style == .plain) {
            restyle(replacing: replaced, newLength: used, style: style)
        }
        replace(replaced, with: UnsafeRawBufferPointer(rebasing: text[0..<used]))
        cursor += used
        anchorByte = cursor
        anchorColumn = startColumn + scalars
        return used
    }

    /// Replaces the bytes `replaced` of the line with `newText`, moving the rest of the line.
    private mutating func replace(_ replaced: Range<Int>, with newText: UnsafeRawBufferPointer) {
        let newCount = count - replaced.count + newText.count
        if newCount > storage.count { grow(to: newCount) }
        let tail = count - replaced.upperBound
        let newEnd = replaced.lowerBound + newText.count
        storage.withUnsafeMutableBytes { target in
            let base = target.baseAddress!
            if newEnd != replaced.upperBound && tail > 0 {
                (base + newEnd).copyMemory(from: base + replaced.upperBound, byteCount: tail)  // memmove
            }
            if let source = newText.baseAddress, newText.count > 0 {
                (base + replaced.lowerBound).copyMemory(from: source, byteCount: newText.count)
            }
        }
        count = newCount
    }

    /// Moves the cursor right over up to `scalars` existing characters; returns how many it passed.
    mutating func advance(scalars: Int) -> Int {
        let startColumn = column()
        var passed = 0
        while passed < scalars && cursor < count {
            cursor += 1
            while cursor < count && storage[cursor] & 0xC0 == 0x80 { cursor += 1 }
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

    /// Moves the line into `store` (without its trailing runs) and empties the builder for the
    /// next line, keeping its buffers.
    mutating func finishLine(into store: inout ConsoleLineStore) {
        while let last = runs.last, last.utf8Offset >= count { runs.removeLast() }
        let count = self.count
        storage.withUnsafeBytes { bytes in
            let text = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
            if runs.isEmpty {
                store.append(text, runs: UnsafeBufferPointer(start: nil, count: 0))
            } else {
                runs.withUnsafeBufferPointer { store.append(text, runs: $0) }
            }
        }
        reset()
    }

    /// Empties the builder for the next line, keeping its buffers.
    mutating func reset() {
        count = 0
        if !runs.isEmpty { runs.removeAll(keepingCapacity: true) }
        cursor = 0
        anchorByte = 0
        anchorColumn = 0
        afterCR = false
        settledStyleVersion = nil
    }

    /// A snapshot of the unfinished line.
    func snapshot() -> (bytes: [UInt8], runs: [ConsoleStyleRun]) {
        let count = self.count
        return (withBytes { Array($0) }, runs.filter { $0.utf8Offset < count })
    }


    /// Rebuilds the runs for bytes `replaced` becoming `newLength` bytes in `style`.
    private mutating func restyle(replacing replaced: Range<Int>, newLength: Int, style: ConsoleStyle) {
        settledStyleVersion = nil
        let after = runs.style(atUTF8Offset: replaced.upperBound)
        let delta = newLength - replaced.count
        var rebuilt: [ConsoleStyleRun] = []
        rebuilt.reserveCapacity(runs.count + 2)
        for run in runs where run.utf8Offset < replaced.lowerBound { Self.push(&rebuilt, at: run.utf8Offset, run.style) }
        Self.push(&rebuilt, at: replaced.lowerBound, style)
        if replaced.upperBound < count {
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
