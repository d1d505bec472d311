/// How much console history a console stream starts with before it goes live.
public enum ConsoleHistory: Sendable, Equatable {
    /// Everything kept since boot.
    case all
    /// At most the last `bytes` bytes of history (the TUI uses this to fill its scrollback).
    case tail(bytes: Int)
    /// Only output from now on.
    case none
}
