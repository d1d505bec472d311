// Helper for the end-to-end benchmarks in scripts/bench.sh.
//
//   unitop-bench-tool corpus BYTES SEED PATH      writes ConsoleCorpus.generate(bytes:seed:) to PATH
//   unitop-bench-tool lines COUNT SEED PATH       writes at least COUNT complete corpus lines to PATH
//   unitop-bench-tool engine BYTES SEED -         feeds BYTES of corpus through ConsoleEngine in 64 KiB
//                                                 chunks (for profiling: valgrind --tool=callgrind)
//
// Exit status 0 on success, 1 on failure (one line on stderr), 2 on bad usage.

import Foundation
import Models

/// Largest corpus the tool writes (1 GB): a typo must not fill the disk.
let maxBytes = 1_000_000_000

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data(("unitop-bench-tool: " + message + "\n").utf8))
    exit(status)
}

func write(_ bytes: [UInt8], to path: String) {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        fail("cannot write \(path)", status: 1)
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 4, let count = Int(arguments[1]), count > 0, count <= maxBytes,
      let seed = UInt64(arguments[2]) else {
    fail("usage: unitop-bench-tool corpus|lines|engine COUNT SEED PATH", status: 2)
}
let path = arguments[3]

switch arguments[0] {
case "corpus":
    write(ConsoleCorpus.generate(bytes: count, seed: seed), to: path)
case "lines":
    // Lines average well under 200 bytes; grow until there are enough, then cut after line COUNT.
    var size = count * 96
    while true {
        let bytes = ConsoleCorpus.generate(bytes: min(size, maxBytes), seed: seed)
        var seen = 0
        if let end = bytes.firstIndex(where: { b in
            if b == 0x0A { seen += 1 }
            return seen == count
        }) {
            write(Array(bytes[...end]), to: path)
            break
        }
        guard size < maxBytes else { fail("could not make \(count) lines", status: 1) }
        size *= 2
    }
case "engine":
    let corpus = ConsoleCorpus.generate(bytes: count, seed: seed)
    var engine = ConsoleEngine(scrollbackLines: ConsoleLimits.defaultScrollbackLines)
    let chunk = 64 << 10
    corpus.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let end = min(all.count, offset + chunk)
            engine.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
            offset = end
        }
    }
    engine.finish()
    print("\(engine.scrollback.count) lines, \(engine.scrollback.totalBytes) bytes kept")
default:
    fail("unknown command \(arguments[0]); use corpus, lines or engine", status: 2)
}
