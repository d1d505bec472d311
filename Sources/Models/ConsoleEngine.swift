/// Sanitizer and scrollback together: what the TUI feeds a guest's raw console bytes into.
public struct ConsoleEngine: Sendable {
    /// The sanitizer's state (carried between feeds).
    public private(set) var sanitizer = ConsoleSanitizer()
    /// The lines so far.
    public private(set) var scrollback: Scrollback
    private var scratch: [UInt8] = []

    /// An engine keeping up to `scrollbackLines` lines.
    public init(scrollbackLines: Int = ConsoleLimits.defaultScrollbackLines) {
        scrollback = Scrollback(capacity: scrollbackLines)
    }

    /// Sanitizes raw guest bytes and appends them to the scrollback.
    public mutating func feed(_ raw: UnsafeRawBufferPointer) {
        scratch.removeAll(keepingCapacity: true)
        sanitizer.sanitize(raw, into: &scratch)
        scratch.withUnsafeBytes { scrollback.append($0) }
    }

    /// Sanitizes raw guest bytes and appends them to the scrollback.
    public mutating func feed(_ raw: [UInt8]) {
        raw.withUnsafeBytes { feed($0) }
    }

    /// Ends the stream (a dangling partial character shows as U+FFFD).
    public mutating func finish() {
        scratch.removeAll(keepingCapacity: true)
        sanitizer.finish(into: &scratch)
        scratch.withUnsafeBytes { scrollback.append($0) }
    }
}
