// libFuzzer target for the console engine (see ../build-console.sh).
//
// The first input byte seeds the chunk splits; the rest is fed to a ConsoleSanitizer in chunks.
// Checks: the output is valid UTF-8, contains no control other than HT/LF/CR, every ESC starts a
// well-formed SGR, the split output equals the one-chunk output, a ConsoleEngine fed the same
// chunks holds the same lines as a Scrollback appended the sanitized bytes, and both stay within
// their limits.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConsole(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var seed = UInt64(data[0]) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(size)

    // One chunk.
    var whole: [UInt8] = []
    var single = ConsoleSanitizer()
    single.sanitize(input, into: &whole)
    single.finish(into: &whole)

    // Random chunks, fed to an engine too.
    var chunked: [UInt8] = []
    var sanitizer = ConsoleSanitizer()
    var engine = ConsoleEngine(scrollbackLines: 64)
    var offset = 0
    while offset < input.count {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        let length = min(input.count - offset, Int(seed >> 58) + 1)  // 1...64 bytes
        let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)])
        sanitizer.sanitize(chunk, into: &chunked)
        engine.feed(chunk)
        offset += length
    }
    sanitizer.finish(into: &chunked)
    engine.finish()

    if let violation = ConsoleOutputCheck.violation(in: whole) {
        fatalError("unsafe output: \(violation)")
    }
    if chunked != whole {
        fatalError("chunked output differs from one-chunk output")
    }

    // The engine's direct path must equal appending the sanitized bytes.
    var reference = Scrollback(capacity: 64)
    reference.append(whole)
    let scrollback = engine.scrollback
    precondition(reference.lineNumbers == scrollback.lineNumbers, "engine and append disagree on lines")
    for number in reference.lineNumbers where reference.line(at: number) != scrollback.line(at: number) {
        fatalError("engine and append disagree on line \(number)")
    }
    precondition(scrollback.count <= scrollback.capacity + 1, "scrollback over capacity")
    var bytes = 0
    for number in scrollback.lineNumbers {
        guard let line = scrollback.line(at: number) else { fatalError("missing line \(number)") }
        precondition(line.number == number, "line number mismatch")
        precondition(line.utf8.count <= ConsoleLimits.maxLineBytes * 4, "line too long")
        precondition(String(validating: line.utf8, as: UTF8.self) != nil, "line is not valid UTF-8")
        var previous = -1
        for run in line.styleRuns {
            precondition(run.utf8Offset > previous && run.utf8Offset < max(1, line.utf8.count), "bad style run")
            previous = run.utf8Offset
        }
        _ = line.segments
        bytes += line.utf8.count
    }
    precondition(bytes == scrollback.totalBytes, "totalBytes mismatch")
    _ = scrollback.search("e", caseInsensitive: true)
    _ = scrollback.search("É", caseInsensitive: true)
    return 0
}
