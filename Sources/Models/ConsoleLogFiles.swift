/// The console log files of one instance, oldest first: the rotated part (which may not exist)
/// and the current log.
public struct ConsoleLogPaths: Sendable, Equatable {
    /// `console.log.1`: what rotation moved aside (absent until the first rotation).
    public let previous: String
    /// `console.log`: the log being written.
    public let current: String

    public init(previous: String, current: String) {
        self.previous = previous
        self.current = current
    }
}

/// A backend capability: the instance's console history is plain files on this host, so a
/// caller that only wants the history (`unitop logs` without `--follow`) can read them directly
/// instead of through ``UnikernelBackend/console(_:history:follow:)``.
public protocol ConsoleLogFiles: Sendable {
    /// The log files of `name`, or nil when there is no such instance here.
    func consoleLogPaths(of name: String) -> ConsoleLogPaths?
}
