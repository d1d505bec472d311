/// Sanitizer and scrollback together: what the TUI feeds a guest's raw console bytes into.
/// The sanitizer hands text, controls and SGR straight to the scrollback (each byte is parsed
/// once), with the same result as appending the sanitized bytes.
public struct ConsoleEngine: Sendable {
    /// The sanitizer's state (carried between feeds).
    public private(set) var sanitizer = ConsoleSanitizer()
    /// The lines so far.
    public private(set) var scrollback: Scrollback

    /// An engine keeping up to `scrollbackLines` lines.
    public init(scrollbackLines: Int = ConsoleLimits.defaultScrollbackLines) {
        scrollback = Scrollback(capacity: scrollbackLines)
    }

    /// Sanitizes raw guest bytes and appends them to the scrollback.
    public mutating func feed(_ raw: UnsafeRawBufferPointer) {
        sanitizer.sanitize(raw, into: &scrollback)
    }

    /// Sanitizes raw guest bytes and appends them to the scrollback.
    public mutating func feed(_ raw: [UInt8]) {
        raw.withUnsafeBytes { feed($0) }
    }

    /// Ends the stream (a dangling partial character shows as U+FFFD).
    public mutating func finish() {
        sanitizer.finish(into: &scrollback)
    }
}
