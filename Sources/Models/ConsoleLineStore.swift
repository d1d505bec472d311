/// Storage of a ``Scrollback``'s completed lines: the text of consecutive lines packed into large
/// shared chunks (no allocation per line, about one byte of memory per byte of text), their style
/// runs packed into one shared array, and a ring of plain fixed-size records, oldest first. A
/// chunk is freed when its last line is evicted; evicted runs are compacted away.
///
/// A value type: everything lives behind one reference (``Storage``), copied on write, so adding
/// a line checks for sharing once and then writes through plain pointers.
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

    /// A block of text: the bytes of consecutive lines. Allocated once (its pages are touched only
    /// as text arrives); only the last chunk of a store is written, and a copied store gets its
    /// own copy of it, so chunks are shared between copies only once they are immutable.
    final class Chunk: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }

        deinit { base.deallocate() }
    }

    /// Completed lines kept at most.
    let capacity: Int
    private var storage = Storage()

    init(capacity: Int) { self.capacity = capacity }

    /// Lines kept.
    var count: Int { storage.state.pointee.count }
    /// Text bytes of the kept lines.
    var bytes: Int { storage.state.pointee.bytes }
    /// Heap bytes held: chunk and record capacities plus style runs.
    var memoryBytes: Int { storage.state.pointee.memoryBytes }

    /// The bytes of line `index` (0 = oldest), passed to `body` without copying.
    func withBytes<R>(ofLine index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try storage.state.pointee.withBytes(ofLine: index, body) }
    }

    /// The style runs of line `index`.
    func runs(ofLine index: Int) -> [ConsoleStyleRun] {
        withExtendedLifetime(storage) { storage.state.pointee.runs(ofLine: index) }
    }

    /// Adds a line at the end, evicting the oldest when full.
    mutating func append(_ text: UnsafeRawBufferPointer, runs: UnsafeBufferPointer<ConsoleStyleRun>) {
        makeUnique()
        let state = storage.state
        if state.pointee.count == capacity { state.pointee.removeFirst() }
        state.pointee.append(text, runs: runs, recordLimit: capacity)
    }

    /// Evicts the oldest line.
    mutating func removeFirst() {
        makeUnique()
        storage.state.pointee.removeFirst()
    }

    @inline(__always)
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }
}

extension ConsoleLineStore {
    /// Owns a store's ``State``. Mutated only through a uniquely referenced store (copy on
    /// write), so sharing it between copies and threads is safe. The state is reached through a
    /// pointer, so its accesses need no dynamic exclusivity checks.
    final class Storage: @unchecked Sendable {
        let state: UnsafeMutablePointer<State>

        init(recordCapacity: Int = 0) {
            state = .allocate(capacity: 1)
            state.initialize(to: State(recordCapacity: recordCapacity))
        }

        deinit {
            state.deinitialize(count: 1)
            state.deallocate()
        }

        /// An independent copy: the records, and the last chunk (the one still written); the
        /// other chunks are immutable and shared.
        func copy() -> Storage {
            let copy = Storage(recordCapacity: state.pointee.recordCapacity)
            state.pointee.copy(into: &copy.state.pointee)
            return copy
        }
    }

    /// The records, chunks and runs of a store (owned by a ``Storage``; not copyable, as it owns
    /// its record ring).
    struct State: ~Copyable {
        /// Ring of records: line k (0 = oldest) is at `(head + k) % recordCapacity`.
        private var records: UnsafeMutablePointer<Record>
        fileprivate var recordCapacity: Int
        private var head = 0
        private(set) var count = 0
        /// Text chunks; `chunks[0]` has the absolute id `firstChunk`. The last one is written.
        private var chunks: [Chunk] = []
        private var firstChunk = 0
        /// Start of the last chunk's memory (valid while `chunks` is not empty: the last chunk is
        /// never evicted) and the bytes written there.
        private var tailBase: UnsafeMutableRawPointer?
        private var tailCapacity = 0
        private var tailUsed = 0
        /// Text bytes of the kept lines.
        private(set) var bytes = 0
        /// Style runs of the kept lines, in line order; `runs[0]` has the absolute index `runBase`.
        private var runs: [ConsoleStyleRun] = []
        private var runBase = 0

        init(recordCapacity: Int) {
            self.recordCapacity = recordCapacity
            records = .allocate(capacity: max(recordCapacity, 1))
        }

        deinit { records.deallocate() }  // records are plain values: nothing to deinitialize

        var memoryBytes: Int {
            var total = recordCapacity * MemoryLayout<Record>.stride + chunks.capacity * MemoryLayout<Chunk>.stride
            for chunk in chunks { total += chunk.capacity }
            return total + runs.capacity * MemoryLayout<ConsoleStyleRun>.stride
        }

        @inline(__always)
        private func position(_ index: Int) -> Int {
            let position = head + index
            return position >= recordCapacity ? position - recordCapacity : position
        }

        func withBytes<R>(ofLine index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            precondition(index >= 0 && index < count, "line index out of range")
            let record = records[position(index)]
            let chunk = chunks[record.chunk - firstChunk]
            return try withExtendedLifetime(chunk) {
                try body(UnsafeRawBufferPointer(start: chunk.base + Int(record.offset), count: Int(record.length)))
            }
        }

        func runs(ofLine index: Int) -> [ConsoleStyleRun] {
            precondition(index >= 0 && index < count, "line index out of range")
            let record = records[position(index)]
            guard record.runCount > 0 else { return [] }
            let start = record.runStart - runBase
            return Array(runs[start..<(start + Int(record.runCount))])
        }

        /// Adds a line; the caller makes room first when `recordLimit` lines are kept.
        mutating func append(_ text: UnsafeRawBufferPointer, runs lineRuns: UnsafeBufferPointer<ConsoleStyleRun>, recordLimit: Int) {
            let length = text.count
            if tailBase == nil || tailUsed + length > tailCapacity {
                let chunk = Chunk(capacity: max(ConsoleLineStore.chunkBytes, length))  // lines are shorter
                chunks.append(chunk)
                tailBase = chunk.base
                tailCapacity = chunk.capacity
                tailUsed = 0
            }
            if count == recordCapacity { growRecords(limit: recordLimit) }
            if let source = text.baseAddress, let tailBase {
                ConsoleText.copyBytes(to: tailBase + tailUsed, from: source, count: length)
            }
            (records + position(count)).initialize(to: Record(
                chunk: firstChunk + chunks.count - 1, offset: UInt32(tailUsed), length: UInt32(length),
                runStart: runBase + runs.count, runCount: UInt32(lineRuns.count)))
            if !lineRuns.isEmpty { runs.append(contentsOf: lineRuns) }
            tailUsed += length
            count += 1
            bytes += length
        }

        /// Doubles the record ring (up to `limit`), oldest first again.
        private mutating func growRecords(limit: Int) {
            let newCapacity = max(count + 1, min(max(recordCapacity * 2, 64), limit))
            let grown = UnsafeMutablePointer<Record>.allocate(capacity: newCapacity)
            for k in 0..<count { (grown + k).initialize(to: records[position(k)]) }
            records.deallocate()
            records = grown
            recordCapacity = newCapacity
            head = 0
        }

        /// Evicts the oldest line.
        mutating func removeFirst() {
            guard count > 0 else { return }
            bytes -= Int(records[head].length)
            head += 1
            if head == recordCapacity { head = 0 }
            count -= 1
            // Free the chunks no kept line uses any more (never the last one).
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

        /// Copies this state into `copy` (a fresh state with the same record capacity): the
        /// records and the last chunk, the one still written; the other chunks are immutable.
        fileprivate func copy(into copy: inout State) {
            for k in 0..<count { (copy.records + k).initialize(to: records[position(k)]) }
            copy.count = count
            copy.chunks = chunks
            copy.firstChunk = firstChunk
            if let last = chunks.last, let tailBase {
                let chunk = Chunk(capacity: last.capacity)
                chunk.base.copyMemory(from: tailBase, byteCount: tailUsed)
                copy.chunks[copy.chunks.count - 1] = chunk
                copy.tailBase = chunk.base
            }
            copy.tailCapacity = tailCapacity
            copy.tailUsed = tailUsed
            copy.bytes = bytes
            copy.runs = runs
            copy.runBase = runBase
        }
    }
}
