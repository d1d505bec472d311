import Models

/// How guest console bytes are turned into what reaches the user's terminal.
///
/// `sanitized` keeps colors (SGR) and drops every sequence that could retitle, reset, query or
/// reprogram the terminal; `raw` passes bytes unchanged (`logs --raw`, for files and pipes).
struct LogsOutput {
    enum Mode { case sanitized, raw }

    let mode: Mode
    private var sanitizer: ConsoleSanitizer

    init(mode: Mode) {
        self.mode = mode
        self.sanitizer = ConsoleSanitizer()
    }

    /// The bytes to write for one chunk of guest output (state carries across chunks).
    mutating func transform(_ bytes: [UInt8]) -> [UInt8] {
        switch mode {
        case .raw: return bytes
        case .sanitized: return sanitizer.sanitize(bytes)
        }
    }

    /// Appends the bytes to write for one chunk of guest output to `output` (no intermediate array).
    mutating func transform(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        switch mode {
        case .raw: output.append(contentsOf: bytes)
        case .sanitized: sanitizer.sanitize(bytes, into: &output)
        }
    }

    /// Appends whatever is still held back at the end of the stream to `output`.
    mutating func finish(into output: inout [UInt8]) {
        if mode == .sanitized { sanitizer.finish(into: &output) }
    }

    /// Whatever is still held back at the end of the stream.
    mutating func finish() -> [UInt8] {
        switch mode {
        case .raw: return []
        case .sanitized:
            var out: [UInt8] = []
            sanitizer.finish(into: &out)
            return out
        }
    }
}
