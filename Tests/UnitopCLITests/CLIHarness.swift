import Foundation
import Models
import Testing
import UnitopTesting

/// One temporary unitop home and the real binary running against it; ``cleanup()`` removes every
/// instance started in it, ends any process still referring to it and deletes it.
final class CLIHarness: @unchecked Sendable {
    let home: TemporaryHome

    init() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Fixtures.unitopBinary),
            "build the binary first: swift build (looked for \(Fixtures.unitopBinary))")
        home = try TemporaryHome(prefix: "ucli")
    }

    /// Requires the fixture images (fails, never skips, when they are missing).
    static func requireFixtures() throws {
        try #require(Fixtures.available, "fixtures missing at \(Fixtures.directory): run make -C fixtures (or set UNITOP_FIXTURES)")
    }

    @discardableResult
    func unitop(_ arguments: [String], stdin: String? = nil, timeout: Double = 60) throws -> RunResult {
        try Run.unitop(arguments, home: home, stdin: stdin, timeout: timeout)
    }

    /// `ps --all --json`, decoded (a partial listing, status 3, when a configured host is gone).
    func instances() throws -> [Instance] {
        let r = try unitop(["ps", "--all", "--json"])
        guard r.status == 0 || r.status == 3 else {
            Issue.record("ps --all --json failed (\(r.status)): \(r.stderr)")
            return []
        }
        return try JSONCoding.decoder().decode([Instance].self, from: Data(r.stdout.utf8))
    }

    func instance(_ name: String) throws -> Instance? {
        try instances().first { $0.name == name }
    }

    /// Waits until `name` satisfies `condition`; returns the last value seen.
    @discardableResult
    func waitFor(_ name: String, timeout: Double = 60, _ condition: (Instance) -> Bool) throws -> Instance? {
        var last: Instance?
        _ = try Wait.blockingUntil(timeout: timeout, interval: 0.2) {
            last = try instance(name)
            return last.map(condition) ?? false
        }
        return last
    }

    /// Waits until the console log of `name` (raw) contains `text` `count` times.
    @discardableResult
    func waitForLog(_ name: String, contains text: String, count: Int = 1, timeout: Double = 60) throws -> Bool {
        try Wait.blockingUntil(timeout: timeout, interval: 0.2) {
            let r = try unitop(["logs", name, "--raw"])
            return r.stdout.components(separatedBy: text).count - 1 >= count
        }
    }

    /// Starts a detached instance of fixture `fixture` under TCG; returns its name.
    @discardableResult
    func start(_ fixture: String, name: String, extra: [String] = []) throws -> String {
        let r = try unitop(["run", Fixtures.path(fixture), "--name", name, "--accel", "tcg", "--detach"] + extra)
        try #require(r.status == 0, "run \(fixture) failed (\(r.status)): \(r.stderr)")
        #expect(r.stdout == name + "\n")
        return name
    }

    /// Pids of processes whose command line mentions this home (QEMU, monitors, followers).
    func leftoverProcesses() -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let me = getpid()
        var pids: [Int32] = []
        for entry in entries {
            guard let pid = Int32(entry), pid != me,
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let cmdline = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if cmdline.contains(home.root) { pids.append(pid) }
        }
        return pids
    }

    /// Removes every instance (`rm --force`), makes sure no process of this home survives
    /// (recording an issue if one had to be killed) and deletes the home.
    func cleanup() {
        if let all = try? instances() {
            for i in all { _ = try? unitop(["rm", "--force", "\(i.host)/\(i.name)"], timeout: 30) }
        }
        let gone = Wait.blockingUntil(timeout: 15, interval: 0.1) { leftoverProcesses().isEmpty }
        if !gone {
            let pids = leftoverProcesses()
            Issue.record("processes left behind by the test (killed): \(pids)")
            for pid in pids { kill(pid, SIGKILL) }
        }
        home.remove()
    }
}

/// A `unitop` process running in the background (e.g. `logs --follow`), its stdout collected.
final class BackgroundUnitop: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = Data()

    init(_ arguments: [String], harness: CLIHarness) throws {
        process.executableURL = URL(fileURLWithPath: Fixtures.unitopBinary)
        process.arguments = arguments
        process.environment = harness.home.environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let d = handle.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock(); self.collected.append(d); self.lock.unlock()
        }
        try process.run()
    }

    var output: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// FNV-1a 32-bit, as the flood fixture computes it.
func fnv1a32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var h: UInt32 = 2_166_136_261
    for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
    return h
}

extension RunResult {
    /// Non-empty stderr lines.
    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }
}
