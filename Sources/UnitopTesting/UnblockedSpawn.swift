import Foundation
import Models

/// Runs helper programs that start daemons (the scripts under `scripts/`) to completion.
///
/// Foundation's `Process` is not used: it never noticed the exit of a script that started a
/// daemon (the child stayed a zombie; the daemon apparently keeps an inherited descriptor Process
/// watches), and it passes the Dispatch thread's signal mask (SIGTERM blocked) on to the daemon,
/// which could then never be stopped. Here the child starts with no signal blocked and default
/// actions for SIGTERM, SIGINT, SIGCHLD and SIGPIPE. Output goes to this process's stderr and
/// stdout.
public enum UnblockedSpawn {
    /// Runs `argv` (an absolute path first) with `environment` (default: this process's) and
    /// returns its exit status; -1 when it was killed by a signal, or killed after `timeout`
    /// seconds. Throws ``UnitopError/failed(_:)`` when it cannot be started.
    public static func run(_ argv: [String], environment: [String: String]? = nil, timeout: Double) throws -> Int32 {
        guard let program = argv.first else { throw UnitopError.failed("nothing to run") }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var dflt = sigset_t()
        sigemptyset(&dflt)
        sigaddset(&dflt, SIGTERM); sigaddset(&dflt, SIGINT); sigaddset(&dflt, SIGCHLD); sigaddset(&dflt, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &dflt)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let cargv = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup($0) } + [nil]
        defer { for p in cargv + cenv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, nil, &attr, cargv, cenv)
        guard rc == 0 else { throw UnitopError.failed("posix_spawn \(program): \(String(cString: strerror(rc)))") }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        // Polled with a deadline: a blocking waitpid could not give up on a hung script.
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return -1 }
            if Date() >= deadline { kill(pid, SIGKILL); _ = waitpid(pid, &status, 0); return -1 }
            usleep(50_000)
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// ``run(_:environment:timeout:)`` on its own thread, so waiting for a daemon never blocks one
    /// of the few threads Swift concurrency (and the backend under test) runs on.
    public static func runOffPool(_ argv: [String], environment: [String: String]? = nil, timeout: Double) async throws -> Int32 {
        try await withCheckedThrowingContinuation { cont in
            Thread {
                do { cont.resume(returning: try run(argv, environment: environment, timeout: timeout)) } catch { cont.resume(throwing: error) }
            }.start()
        }
    }
}
