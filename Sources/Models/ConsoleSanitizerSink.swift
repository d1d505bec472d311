/// Where ``ConsoleSanitizer`` delivers its output, piece by piece. The byte-array sink re-encodes
/// everything as bytes; ``Scrollback`` is a sink too, so ``ConsoleEngine`` parses each byte once.
protocol ConsoleSanitizerSink {
    /// Whether `text` may contain HT, LF and CR (otherwise they come through `control`).
    static var acceptsControlsInText: Bool { get }
    /// Valid UTF-8 text without controls (except HT/LF/CR when `acceptsControlsInText`).
    mutating func text(_ bytes: UnsafeRawBufferPointer)
    /// HT, LF or CR.
    mutating func control(_ byte: UInt8)
    /// A normalized, non-empty SGR parameter list (see ``SGRNormalizer``).
    mutating func sgr(_ parameters: UnsafeBufferPointer<UInt16>)
}

/// The sink of ``ConsoleSanitizer/sanitize(_:into:)``: sanitized bytes.
struct ConsoleByteSink: ConsoleSanitizerSink {
    var bytes: [UInt8]

    static var acceptsControlsInText: Bool { true }

    @inline(__always)
    mutating func text(_ text: UnsafeRawBufferPointer) { bytes.append(contentsOf: text) }

    @inline(__always)
    mutating func control(_ byte: UInt8) { bytes.append(byte) }

    mutating func sgr(_ parameters: UnsafeBufferPointer<UInt16>) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SGRNormalizer.maxOutputLength) { buffer in
            let length = SGRNormalizer.render(parameters, into: buffer)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<length]))
        }
    }
}
