/// Storage of a ``Scrollback``'s completed lines: the text of consecutive lines packed into large
/// shared chunks (no allocation per line, about one byte of memory per byte of text), their style
/// runs packed into one shared array, and a ring of plain fixed-size records, oldest first. A
/// chunk is freed when its last line is evicted; evicted runs are compacted away.
struct ConsoleLineStore: Sendable {
    /// Bytes per chunk (at least one maximal line).
    static let chunkBytes = max(256 * 1024, ConsoleLimits.maxLineBytes)

    struct Record: Sendable {
        var chunk: Int
        var offset: UInt32
        var length: UInt32
        /// Absolute index of the line's first run in `runs` (see `runBase`).
        var runStart: Int
        var runCount: UInt32
    }

    let capacity: Int
    private var records: [Record] = []
    private var head = 0
    private(set) var count = 0
    /// Text chunks; `chunks[0]` has the absolute id `firstChunk`.
    private var chunks: [[UInt8]] = []
    private var firstChunk = 0
    /// Text bytes of the kept lines.
    private(set) var bytes = 0
    /// Style runs of the kept lines, in line order; `runs[0]` has the absolute index `runBase`.
    private var runs: [ConsoleStyleRun] = []
    private var runBase = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Heap bytes held: chunk and record capacities plus style runs.
    var memoryBytes: Int {
        var total = records.capacity * MemoryLayout<Record>.stride + chunks.capacity * MemoryLayout<[UInt8]>.stride
        for chunk in chunks { total += chunk.capacity }
        return total + runs.capacity * MemoryLayout<ConsoleStyleRun>.stride
    }

    private func position(_ index: Int) -> Int {
        let position = head + index
        return position >= records.count ? position - records.count : position
    }

    /// The bytes of line `index` (0 = oldest), passed to `body` without copying.
    func withBytes<R>(ofLine index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let record = records[position(index)]
        return try chunks[record.chunk - firstChunk].withUnsafeBytes { chunk in
            let start = Int(record.offset)
            return try body(UnsafeRawBufferPointer(rebasing: chunk[start..<(start + Int(record.length))]))
        }
    }

    /// The style runs of line `index`.
    func runs(ofLine index: Int) -> [ConsoleStyleRun] {
        let record = records[position(index)]
        guard record.runCount > 0 else { return [] }
        let start = record.runStart - runBase
        return Array(runs[start..<(start + Int(record.runCount))])
    }

    /// Adds a line at the end, evicting the oldest when full.
    mutating func append(_ text: [UInt8], runs lineRuns: ArraySlice<ConsoleStyleRun>) {
        if count == capacity { removeFirst() }
        if chunks.isEmpty || chunks[chunks.count - 1].count + text.count > Self.chunkBytes {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Self.chunkBytes)
            chunks.append(chunk)
        }
        let last = chunks.count - 1
        let record = Record(chunk: firstChunk + last, offset: UInt32(chunks[last].count),
                            length: UInt32(text.count), runStart: runBase + runs.count, runCount: UInt32(lineRuns.count))
        if !lineRuns.isEmpty { runs.append(contentsOf: lineRuns) }
        chunks[last].append(contentsOf: text)
        if count == records.count {
            // Full at the current size (and below capacity): grow, in order.
            if head != 0 {
                records = Array(records[head...]) + Array(records[..<head])
                head = 0
            }
            records.append(record)
        } else {
            records[position(count)] = record
        }
        count += 1
        bytes += text.count
    }

    /// Evicts the oldest line.
    mutating func removeFirst() {
        guard count > 0 else { return }
        bytes -= Int(records[head].length)
        head += 1
        if head == records.count { head = 0 }
        count -= 1
        // Free the chunks no kept line uses any more.
        let oldestChunk = count > 0 ? records[head].chunk : firstChunk + chunks.count - 1
        if oldestChunk > firstChunk {
            chunks.removeFirst(oldestChunk - firstChunk)
            firstChunk = oldestChunk
        }
        // Drop evicted runs once they outnumber the kept ones (amortized constant time).
        let deadRuns = (count > 0 ? records[head].runStart : runBase + runs.count) - runBase
        if deadRuns > 1024 && deadRuns > runs.count - deadRuns {
            runs.removeFirst(deadRuns)
            runBase += deadRuns
        }
    }
}
