/// The lifecycle state of an instance, as shown by `ps` and the TUI.
///
/// The raw values are the strings of the command-line contract (`ps --json`).
public enum InstanceState: String, Codable, Sendable, CaseIterable, Hashable {
    case created, starting, running, paused, stopping, stopped, exited, crashed

    /// The guest process exists (it may be paused or on its way down).
    public var isActive: Bool {
        switch self {
        case .starting, .running, .paused, .stopping: return true
        case .created, .stopped, .exited, .crashed: return false
        }
    }

    /// The instance has ended and can be removed without `--force`.
    public var isFinished: Bool {
        switch self {
        case .stopped, .exited, .crashed: return true
        default: return false
        }
    }
}
