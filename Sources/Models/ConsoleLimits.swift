/// Every hardening limit of the console engine (sanitizer and scrollback), in one place.
///
/// Guest console bytes are hostile input. Each limit bounds the memory or time one guest can make
/// the sanitizer or the scrollback spend; what happens when a limit is hit is documented per limit.
public enum ConsoleLimits {
    /// Parameters kept per control sequence (CSI). Further parameters are ignored.
    public static let maxParameters = 16
    /// Largest value of one CSI parameter; larger values are clamped to it (and so are invalid
    /// for every SGR attribute and colour, which then drops them).
    public static let maxParameterValue: UInt16 = 9999
    /// Intermediate bytes (0x20-0x2F) kept per escape or control sequence; with more, a control
    /// sequence is ignored.
    public static let maxIntermediates = 2
    /// Bytes of one escape or control sequence (ESC … final byte). Past this the sequence is
    /// abandoned: it is dropped and the parser returns to text.
    public static let maxControlSequenceLength = 256
    /// Bytes of one OSC, DCS, SOS, PM or APC string. Past this the string is abandoned: the parser
    /// returns to text, so a missing terminator cannot swallow all later output.
    public static let maxStringLength = 4096

    /// Scrollback lines kept when no capacity is configured.
    public static let defaultScrollbackLines = 10_000
    /// Largest accepted scrollback capacity (larger requests are clamped).
    public static let maxScrollbackLines = 1_000_000
    /// Text bytes one scrollback keeps at most: beyond it the oldest lines are evicted even
    /// before the line capacity is reached (10,000 lines of 64 KiB would otherwise be 640 MB).
    public static let maxScrollbackBytes = 32 << 20
    /// UTF-8 bytes of one scrollback line. Longer lines are split into several lines (at a
    /// character boundary), so a guest writing megabytes without a newline costs no more.
    public static let maxLineBytes = 64 * 1024
    /// A carriage return on a line longer than this ends the line instead of moving back to
    /// column 0, which bounds the cost of overwriting (progress bars and spinners are far shorter).
    public static let maxRewritableLineBytes = 1024
    /// Style runs kept per line; later style changes on the same line are ignored.
    public static let maxStyleRunsPerLine = 1024
    /// Matches returned by one scrollback search.
    public static let maxSearchMatches = 100_000
}
