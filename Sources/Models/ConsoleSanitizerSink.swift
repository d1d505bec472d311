/// Where ``ConsoleSanitizer`` delivers its output, piece by piece. The byte-array sink re-encodes
/// everything as bytes; ``Scrollback`` is a sink too, so ``ConsoleEngine`` parses each byte once.
protocol ConsoleSanitizerSink {
    /// Whether `text` may contain HT, LF and CR (otherwise they come through `control`).
    static var acceptsControlsInText: Bool { get }
    /// Valid UTF-8 text without controls (except HT/LF/CR when `acceptsControlsInText`).
    mutating func text(_ bytes: UnsafeRawBufferPointer)
    /// HT, LF or CR.
    mutating func control(_ byte: UInt8)
    /// The parameters of an SGR as the guest sent them (at most ``ConsoleLimits/maxParameters``;
    /// bit k of `subParameterMask` set: parameter k followed a `:`), to be normalized with
    /// ``SGRNormalizer`` before use.
    mutating func sgr(_ parameters: UnsafeBufferPointer<UInt16>, subParameterMask: UInt32)
}

/// The sink of ``ConsoleSanitizer/sanitize(_:into:)``: sanitized bytes. Pieces are gathered in a
/// small staging buffer and appended to `bytes` a few kilobytes at a time (one array append per
/// piece would cost more than the piece); call ``flush()`` before reading `bytes`.
struct ConsoleByteSink: ConsoleSanitizerSink {
    var bytes: [UInt8]
    private let staging: UnsafeMutablePointer<UInt8>
    private let stagingCapacity: Int
    private var staged = 0

    /// Bytes of the staging buffer ``withSink(appendingTo:_:)`` provides.
    static let stagingBytes = 4096

    private init(bytes: [UInt8], staging: UnsafeMutableRawBufferPointer) {
        precondition(staging.count >= SGRNormalizer.maxOutputLength, "staging buffer too small")
        self.bytes = bytes
        self.staging = staging.bindMemory(to: UInt8.self).baseAddress!
        self.stagingCapacity = staging.count
    }

    /// Runs `body` with a sink appending to `output` (moved in and back out, not copied).
    static func withSink(appendingTo output: inout [UInt8], _ body: (inout ConsoleByteSink) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: stagingBytes, alignment: 16) { staging in
            var sink = ConsoleByteSink(bytes: [], staging: staging)
            swap(&sink.bytes, &output)
            body(&sink)
            sink.flush()
            swap(&sink.bytes, &output)
        }
    }

    static var acceptsControlsInText: Bool { true }

    /// Appends the staged bytes to `bytes`.
    mutating func flush() {
        guard staged > 0 else { return }
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: staging, count: staged))
        staged = 0
    }

    @inline(__always)
    mutating func text(_ text: UnsafeRawBufferPointer) {
        guard let source = text.baseAddress else { return }
        if text.count > stagingCapacity - staged {
            flush()
            if text.count > stagingCapacity / 2 {
                bytes.append(contentsOf: text)
                return
            }
        }
        ConsoleText.copyBytes(to: UnsafeMutableRawPointer(staging + staged), from: source, count: text.count)
        staged += text.count
    }

    @inline(__always)
    mutating func control(_ byte: UInt8) {
        if staged == stagingCapacity { flush() }
        staging[staged] = byte
        staged += 1
    }

    mutating func sgr(_ parameters: UnsafeBufferPointer<UInt16>, subParameterMask: UInt32) {
        if SGRNormalizer.maxOutputLength > stagingCapacity - staged { flush() }
        var renderer = SGRRenderer(base: staging + staged)
        if SGRNormalizer.normalize(parameters, subParameterMask: subParameterMask, into: &renderer) {
            staged += renderer.finish()
        }  // nothing kept: nothing written (the staged `ESC [` is overwritten later)
    }
}
