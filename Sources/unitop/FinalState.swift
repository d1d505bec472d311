import Foundation
import Models

/// The end state of an instance after its console stream ended.
enum FinalState {
    /// How long to wait for the backend to record the end after the console closed.
    static let settleSeconds = 10.0

    /// Waits (bounded by ``settleSeconds``) until the backend reports the instance ended, from its
    /// events (a subscription replays the current state, so an end that came first is seen), and
    /// returns it as the backend then has it.
    static func wait(backend: any UnikernelBackend, name: String) async throws -> Instance {
        let now = try await backend.instance(named: name)
        if !now.state.isActive { return now }
        let events = backend.events()
        let ended: Instance? = try await withThrowingTaskGroup(of: Instance?.self) { group in
            group.addTask {
                for await e in events {
                    if case .instanceChanged(let i) = e, i.name == name, !i.state.isActive { return i }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(settleSeconds))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let ended { return ended }
        return try await backend.instance(named: name)
    }

    /// exited N → N (capped to 255), crashed → 1, stopped → 0; exited with no code (a backend
    /// without exit codes, see ``BackendCapabilities``) → 0, and the summary says the code is unknown.
    static func exitStatus(_ instance: Instance) -> Int32 {
        switch instance.state {
        case .exited: return Int32(clamping: min(max(instance.exitCode ?? 0, 0), 255))
        case .crashed: return 1
        case .stopped: return 0
        default: return instance.state.isActive ? 1 : 0
        }
    }

    static func summary(_ instance: Instance) -> String {
        switch instance.state {
        case .exited:
            guard let code = instance.exitCode else {
                return "exited (the \(instance.backend) backend does not report exit codes)"
            }
            return "exited with code \(code)"
        case .crashed: return "crashed" + (instance.exitReason.map { ": \($0)" } ?? "")
        case .stopped: return "stopped" + (instance.exitReason.map { " (\($0))" } ?? "")
        default: return "is \(instance.state.rawValue)"
        }
    }
}
