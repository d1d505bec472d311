/// An error that says what failed and why, in one line suitable for stderr or the status bar.
public enum UnitopError: Error, Sendable, Equatable, CustomStringConvertible {
    case instanceNotFound(String)
    case instanceExists(String)
    case invalidName(String, reason: String)
    case invalidArgument(String)
    case imageNotFound(String)
    case imageNotBootable(path: String, reason: String)
    /// The hypervisor failed to start; `message` is its own error output.
    case launchFailed(name: String, message: String)
    /// The action does not apply in the instance's current state.
    case invalidState(name: String, state: InstanceState, action: String)
    case readonly(action: String)
    case timeout(String)
    case connection(uri: String, message: String)
    case config(path: String, line: Int?, message: String)
    case io(path: String, message: String)
    case unsupported(String)
    /// Anything else, already phrased for the user.
    case failed(String)

    public var description: String {
        switch self {
        case .instanceNotFound(let n): return "no instance named '\(n)'"
        case .instanceExists(let n): return "an instance named '\(n)' already exists"
        case .invalidName(let n, let why): return "invalid name '\(n)': \(why)"
        case .invalidArgument(let m): return m
        case .imageNotFound(let i): return "no image '\(i)' (not a file and not a catalogued image name)"
        case .imageNotBootable(let p, let why): return "image \(p) is not bootable: \(why)"
        case .launchFailed(let n, let m): return "cannot start '\(n)': \(m)"
        case .invalidState(let n, let s, let a): return "cannot \(a) '\(n)': it is \(s.rawValue)"
        case .readonly(let a): return "read-only mode: '\(a)' is disabled"
        case .timeout(let m): return "timed out: \(m)"
        case .connection(let uri, let m): return "cannot connect to \(uri): \(m)"
        case .config(let p, let line, let m):
            if let line { return "\(p):\(line): \(m)" }
            return "\(p): \(m)"
        case .io(let p, let m): return "\(p): \(m)"
        case .unsupported(let m): return "not supported: \(m)"
        case .failed(let m): return m
        }
    }
}
