import Foundation
import Models

/// Attaches this terminal to an instance's serial console: history then live output
/// (sanitized), keystrokes forwarded to the guest, `Ctrl-]` detaches and leaves it running.
///
/// Used by `unitop console` and by `unitop run` without `--detach`. When stdin is not a
/// terminal, its bytes are forwarded as they come; at its end the session keeps following the
/// output until the guest ends.
struct ConsoleSession {
    /// The detach key, Ctrl-] (GS).
    static let detachByte: UInt8 = 0x1D
    /// Bytes read from stdin at once.
    static let inputChunk = 4096

    enum Outcome {
        /// The user pressed Ctrl-]; the instance keeps running.
        case detached
        /// The console stream ended: the guest is gone.
        case ended
    }

    let backend: any UnikernelBackend
    let name: String
    let history: ConsoleHistory
    /// Forward keystrokes (false in read-only use).
    let forwardInput: Bool

    /// Runs the session until detach or the end of the guest. The terminal is restored before returning.
    func run() async throws -> Outcome {
        let raw = RawTerminal.enable()
        defer { RawTerminal.restore() }
        let how = raw || isatty(STDIN_FILENO) == 1 ? "Ctrl-] to detach" : "input from stdin"
        StandardStream.error.writeLine("[attached to \(name) — \(how)]")

        let stream = backend.console(name, history: history, follow: true)
        let input = forwardInput ? Self.stdinStream() : nil
        let backend = self.backend, name = self.name

        return try await withThrowingTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                var output = LogsOutput(mode: .sanitized)
                for try await chunk in stream {
                    StandardStream.output.writeNow(output.transform(chunk))
                }
                StandardStream.output.writeNow(output.finish())
                return .ended
            }
            if let input {
                group.addTask {
                    for await chunk in input {
                        if let cut = chunk.firstIndex(of: Self.detachByte) {
                            if cut > 0 { try? await backend.sendConsoleInput(name, bytes: Array(chunk[..<cut])) }
                            return .detached
                        }
                        try await backend.sendConsoleInput(name, bytes: chunk)
                    }
                    return nil  // stdin ended: keep following the output
                }
            }
            while let result = try await group.next() {
                if let outcome = result {
                    group.cancelAll()
                    return outcome
                }
            }
            return .ended
        }
    }

    /// Reads stdin on its own thread (blocking reads stay off the Swift concurrency pool).
    static func stdinStream() -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: inputChunk)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    continuation.yield(Array(buffer[0..<n]))
                }
                continuation.finish()
            }
            thread.start()
        }
    }
}
