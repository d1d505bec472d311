#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Models
import Testing

/// Throughput of the console engine over a generated 100 MB mixed corpus. A report, not a test:
/// it asserts nothing about time and runs only with `UNITOP_BENCH=1`, in release:
/// `UNITOP_BENCH=1 swift test -c release --filter ConsoleThroughputReport`.
@Suite("ConsoleThroughputReport", .serialized,
       .enabled(if: getenv("UNITOP_BENCH").map { String(cString: $0) } == "1"))
struct ConsoleThroughputReport {
    static let corpusBytes = 100 << 20
    static let chunkBytes = 64 << 10

    struct Clock {
        var wall = timespec()
        var cpu = timespec()
        init() {
            clock_gettime(CLOCK_MONOTONIC, &wall)
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
        }
        static func seconds(_ a: timespec, _ b: timespec) -> Double {
            Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9
        }
        /// (wall seconds, CPU seconds) since `self`.
        func elapsed() -> (Double, Double) {
            let now = Clock()
            return (Self.seconds(wall, now.wall), Self.seconds(cpu, now.cpu))
        }
    }

    func report(_ name: String, bytes: Int, runs: Int = 3, _ body: () -> Void) {
        var bestWall = Double.infinity, bestCPU = Double.infinity
        for _ in 0..<runs {
            let start = Clock()
            body()
            let (wall, cpu) = start.elapsed()
            bestWall = min(bestWall, wall)
            bestCPU = min(bestCPU, cpu)
        }
        let mb = Double(bytes) / 1e6
        print("ConsoleThroughputReport \(name): \(Int(mb / bestWall)) MB/s wall, \(Int(mb / bestCPU)) MB/s CPU (best of \(runs), \(Int(mb)) MB in \(Self.chunkBytes / 1024) KiB chunks)")
    }

    @Test("sanitize and sanitize + append throughput")
    func throughput() {
        let corpus = ConsoleCorpus.generate(bytes: Self.corpusBytes, seed: 42)
        var outputBytes = 0
        report("sanitize", bytes: corpus.count) {
            var sanitizer = ConsoleSanitizer()
            var output: [UInt8] = []
            output.reserveCapacity(Self.chunkBytes * 2)
            outputBytes = 0
            corpus.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(offset + Self.chunkBytes, raw.count)
                    output.removeAll(keepingCapacity: true)
                    sanitizer.sanitize(UnsafeRawBufferPointer(rebasing: raw[offset..<end]), into: &output)
                    outputBytes += output.count
                    offset = end
                }
            }
        }
        var lines = 0
        report("sanitize+append", bytes: corpus.count) {
            var engine = ConsoleEngine(scrollbackLines: 10_000)
            corpus.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(offset + Self.chunkBytes, raw.count)
                    engine.feed(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
            lines = engine.scrollback.lastLineNumber + 1
        }
        print("ConsoleThroughputReport corpus: \(corpus.count) bytes in, \(outputBytes) bytes sanitized, \(lines) lines")
        #expect(outputBytes > 0)
        #expect(lines > 0)
    }

    @Test("scrollback memory for 10,000 lines of 100 characters")
    func memory() {
        let line = Array((String(repeating: "x", count: 99) + "\n").utf8)
        var scrollback = Scrollback(capacity: 10_000)
        for _ in 0..<20_000 { scrollback.append(line) }
        print("ConsoleThroughputReport memory: 10,000 lines x 100 characters: \(scrollback.totalBytes) text bytes, about \(scrollback.memoryBytes) heap bytes")
        #expect(scrollback.count == 10_000)
    }
}
