import Foundation
import Models
import Testing
import UnitopTesting

/// Sizes for the reliability tests: CI-sized by default, the issue's full numbers with
/// `UNITOP_STRESS=1` (see docs/reliability.md).
enum Stress {
    static var enabled: Bool { ProcessInfo.processInfo.environment["UNITOP_STRESS"] == "1" }
    /// Instances started at once by the load test.
    static var concurrentInstances: Int { enabled ? 50 : 10 }
    /// Start/stop cycles.
    static var cycles: Int { enabled ? 200 : 20 }
    /// Flood size for the "nothing lost" test.
    static var floodBytes: Int { enabled ? 20_000_000 : 1_000_000 }
    /// Seconds a flood of ``floodBytes`` may take (UART ~0.4 MB/s under TCG, with a wide margin).
    static var floodSeconds: Double { 60 + Double(floodBytes) / 50_000 }
    /// Long line written by the attack fixture.
    static var attackLongLine: Int { enabled ? 1_000_000 : 100_000 }
}

extension CLIHarness {
    /// Writes `config.toml` in the harness's config home.
    func writeConfig(_ text: String) throws {
        let dir = home.configHome + "/unitop"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
    }

    /// The runtime (socket) directory the binary uses for this home.
    var runtimeDirectory: String {
        UnitopPaths.resolve(environment: home.environment).runtimeDirectory
    }

    func instanceDirectory(_ name: String) -> String { home.stateDirectory + "/instances/" + name }

    /// The pid in `instances/NAME/FILE` (`monitor.pid`, `qemu.pid`), if the file is there.
    func recordedPid(_ name: String, _ file: String) -> Int32? {
        guard let text = try? String(contentsOfFile: instanceDirectory(name) + "/" + file, encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Int32($0) }
    }

    /// Runs `unitop` in the background with stdin from a pipe the caller may write to.
    func spawn(_ arguments: [String], stdin: Pipe? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Fixtures.unitopBinary)
        p.arguments = arguments
        p.environment = home.environment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = stdin ?? FileHandle.nullDevice
        try p.run()
        return p
    }
}

/// Whether a process exists and is not a zombie.
func processIsAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].split(separator: " ").first
    return state != "Z" && state != "X"
}

/// Kills a process the test started and reaps it.
func killAndReap(_ p: Process) {
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
}

/// Permission bits of a path (without following a final symlink).
func permissions(_ path: String) -> Int? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return Int(st.st_mode & 0o7777)
}

/// Checks a flood fixture's output: `bytes[(end-n)..<end]` hashes to the trailer's FNV-1a.
/// Returns a description of the problem, or nil when the flood is whole.
func floodProblem(_ bytes: [UInt8], expectedBytes: Int) -> String? {
    let marker = Array("FLOOD-END bytes=".utf8)
    guard let at = lastIndex(of: marker, in: bytes) else { return "no FLOOD-END in \(bytes.count) bytes" }
    let trailer = String(decoding: bytes[at...].prefix(64), as: UTF8.self)
    // ("\r\n" is one Character: split the scalars.)
    let fields = String(trailer.unicodeScalars.prefix { $0 != "\r" && $0 != "\n" }).split(separator: " ")
    guard fields.count >= 3, let n = Int(fields[1].dropFirst("bytes=".count)),
          let sum = UInt32(fields[2].dropFirst("fnv1a32=".count).prefix(8), radix: 16) else { return "bad trailer \(trailer)" }
    guard n == expectedBytes else { return "trailer says \(n) bytes, expected \(expectedBytes)" }
    guard at >= n else { return "only \(at) bytes before the trailer, expected \(n)" }
    let got = fnv1a32(bytes[(at - n)..<at])
    return got == sum ? nil : "checksum \(String(got, radix: 16)) != \(String(sum, radix: 16)) over \(n) bytes"
}

/// The numbers of the flood fixture's `flood NNNNNNNN ...` lines, in order, after checking each
/// line's content against the fixture's formula (see fixtures/README.md). Returns nil and records
/// an issue on the first malformed line.
func floodLineNumbers(_ bytes: [UInt8]) -> [Int]? {
    let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    let prefix = Array("flood ".utf8)
    var numbers: [Int] = []
    for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
        let line = raw.last == 0x0D ? Array(raw.dropLast()) : Array(raw)
        guard line.count == 78, Array(line.prefix(6)) == prefix else { continue }
        guard let i = Int(String(decoding: line[6..<14], as: UTF8.self)), line[14] == 0x20 else {
            Issue.record("bad flood line: \(String(decoding: line, as: UTF8.self))"); return nil
        }
        let expected = (0..<63).map { alphabet[(i + $0) % 62] }
        guard Array(line[15...]) == expected else {
            Issue.record("flood line \(i) corrupted: \(String(decoding: line, as: UTF8.self))"); return nil
        }
        numbers.append(i)
    }
    return numbers
}

/// What a process that should have exited is doing: state and kernel wait channel of each thread.
func processDiagnosis(_ pid: Int32?) -> String {
    guard let pid else { return "no pid" }
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    guard !tasks.isEmpty else { return "pid \(pid) gone" }
    return "pid \(pid): " + tasks.sorted().map { tid in
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8)) ?? ""
        let state = stat.split(separator: ")").last?.split(separator: " ").first ?? "?"
        let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/wchan", encoding: .utf8)) ?? "?"
        let comm = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
        return "\(tid)[\(comm)] \(state) \(wchan)"
    }.joined(separator: ", ")
}

/// True once `pid` has exited: gone, or a zombie its parent (the tmux server) has not reaped yet.
func processHasExited(_ pid: Int32?) -> Bool {
    guard let pid else { return true }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
}
