// Console engine throughput (issue #5, figure 1): sanitize + append to the scrollback over a
// 100 MB mixed corpus on one core, side by side with its anchor, a plain copy of the same bytes.
//
// The corpus is fed in 64 KiB chunks, the size the QEMU backend's console follower hands out,
// so the engine works the way it does in the TUI. Each iteration starts from a fresh engine.
//
// Size: UNITOP_BENCH_CORPUS_BYTES (default 100,000,000). Iterations are few on purpose (each
// one processes the whole corpus); scripts/bench.sh reads the median wall clock time.

import Benchmark
import Foundation
import Models

/// Bytes in the corpus (decimal MB: 100 MB = 100,000,000 bytes).
let corpusBytes: Int = {
    if let text = ProcessInfo.processInfo.environment["UNITOP_BENCH_CORPUS_BYTES"], let n = Int(text), n > 0 {
        return n
    }
    return 100_000_000
}()

/// The chunk size the console follower delivers.
let chunkBytes = 64 << 10

/// The mixed corpus: plain lines, colours, non-ASCII, hostile sequences, invalid UTF-8.
let corpus: [UInt8] = ConsoleCorpus.generate(bytes: corpusBytes, seed: 1)

/// The corpus already sanitized, for the scrollback-only benchmark.
let sanitizedCorpus: [UInt8] = {
    var sanitizer = ConsoleSanitizer()
    var out: [UInt8] = []
    out.reserveCapacity(corpus.count)
    corpus.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let end = min(all.count, offset + chunkBytes)
            sanitizer.sanitize(UnsafeRawBufferPointer(rebasing: all[offset..<end]), into: &out)
            offset = end
        }
    }
    sanitizer.finish(into: &out)
    return out
}()

/// Calls `body` with each 64 KiB chunk of `bytes`.
@inline(__always)
func forEachChunk(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) {
    bytes.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let end = min(all.count, offset + chunkBytes)
            body(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
            offset = end
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(30),
        maxIterations: 5
    )

    // Anchor: a plain byte copy of the same corpus, chunk by chunk, into a preallocated buffer.
    Benchmark("anchor: memcpy of the corpus", configuration: configuration) { benchmark in
        var destination = [UInt8](repeating: 0, count: corpus.count)
        benchmark.startMeasurement()
        destination.withUnsafeMutableBytes { out in
            var offset = 0
            forEachChunk(of: corpus) { chunk in
                if let base = chunk.baseAddress, let target = out.baseAddress {
                    memcpy(target + offset, base, chunk.count)
                }
                offset += chunk.count
            }
        }
        benchmark.stopMeasurement()
        blackHole(destination[destination.count / 2])
    }

    // The figure: sanitize + append to a 10,000-line scrollback (what the TUI does per guest).
    Benchmark("engine: sanitize + scrollback", configuration: configuration) { _ in
        var engine = ConsoleEngine(scrollbackLines: ConsoleLimits.defaultScrollbackLines)
        forEachChunk(of: corpus) { engine.feed($0) }
        engine.finish()
        blackHole(engine.scrollback.count)
    }

    // The two halves, to see which one limits the engine.
    Benchmark("part: sanitize only", configuration: configuration) { _ in
        var sanitizer = ConsoleSanitizer()
        var out: [UInt8] = []
        out.reserveCapacity(chunkBytes * 2)
        var total = 0
        forEachChunk(of: corpus) { chunk in
            out.removeAll(keepingCapacity: true)
            sanitizer.sanitize(chunk, into: &out)
            total &+= out.count
        }
        blackHole(total)
    }

    Benchmark("part: scrollback append only", configuration: configuration) { _ in
        var scrollback = Scrollback(capacity: ConsoleLimits.defaultScrollbackLines)
        forEachChunk(of: sanitizedCorpus) { scrollback.append($0) }
        blackHole(scrollback.count)
    }
}
