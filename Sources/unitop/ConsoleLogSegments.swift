import Backends
import Models

/// The console history of one instance whose backend keeps it in files (``ConsoleLogFiles``: the
/// QEMU backend), read straight from its log files on the calling thread (`unitop logs` without
/// `--follow`): `console.log.1` (the rotated part, when there is one), then `console.log`.
///
/// Read through the backends' ``ConsoleLogCursor``, the same position the console followers
/// keep: a rotation while the log is being read loses or doubles nothing.
struct ConsoleLogSegments {
    let files: ConsoleLogPaths

    /// The log files of `name` when `backend` keeps console logs in files and the instance
    /// exists; nil otherwise (the backend's console stream then serves the history or the error).
    init?(backend: any UnikernelBackend, name: String) {
        guard let provider = backend as? any ConsoleLogFiles, let files = provider.consoleLogPaths(of: name) else { return nil }
        self.files = files
    }

    /// Calls `consume` with descriptors positioned at the next unread byte, in order, until the
    /// whole history is read; `consume` reads each one from its offset to its end (with
    /// `sendfile`, say). A file may be handed over twice when it was rotated meanwhile.
    func forEach(_ consume: (Int32) throws -> Void) throws {
        let cursor = ConsoleLogCursor(paths: files, history: .all)
        defer { cursor.close() }
        try cursor.drain(consume)
    }
}
