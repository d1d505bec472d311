import Foundation

/// The outcome of running a command to completion.
public struct RunResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutBytes: [UInt8]
}

/// Runs commands (the real `unitop` binary, tmux, …) with a deadline.
public enum Run {
    /// Runs `argv` to completion (killed after `timeout` seconds) and captures its output.
    public static func command(_ argv: [String], environment: [String: String]? = nil, stdin: String? = nil, timeout: Double = 60) throws -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inp
        try p.run()
        if let stdin {
            inp.fileHandleForWriting.write(Data(stdin.utf8))
            try? inp.fileHandleForWriting.close()
        }
        let timer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        // Read both pipes concurrently so a full pipe never blocks the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        timer.cancel()
        return RunResult(
            status: p.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self),
            stdoutBytes: [UInt8](outData)
        )
    }

    /// Runs the real `unitop` binary with `arguments` in `home`.
    public static func unitop(_ arguments: [String], home: TemporaryHome, stdin: String? = nil, timeout: Double = 60) throws -> RunResult {
        try command([Fixtures.unitopBinary] + arguments, environment: home.environment, stdin: stdin, timeout: timeout)
    }
}
