@testable import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting

/// State written by another unitop version: older formats are read (the upgrade test in
/// scripts/upgrade-test.sh drives a real previous release); a newer one is listed with a plain
/// message and never guessed at.
@Suite struct StateFormatTests {
    @Test func recordsCarryTheFormatAndRecordsWithoutOneAreFormatOne() throws {
        let status = StatusRecord(state: .running)
        let encoded = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        #expect(encoded.contains("\"format\":\(StateFormat.current)"))
        let old = try JSONDecoder().decode(StatusRecord.self, from: Data(#"{"state":"running","updatedAt":0}"#.utf8))
        #expect(StateFormat.of(old.format) == 1)
        let request = try JSONDecoder().decode(ControlRequest.self, from: Data(#"{"op":"status"}"#.utf8))
        #expect(request.op == .status && StateFormat.of(request.version) == 1, "a 0.1.0 request is understood")
    }

    @Test func aNewerFormatIsListedPlainlyAndNotActedOn() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let f = env.files("future")
        try FileManager.default.createDirectory(atPath: f.directory, withIntermediateDirectories: true)
        try #"{"format": 99, "spec": {"a field": "this unitop has never heard of"}}"#.write(toFile: f.spec, atomically: true, encoding: .utf8)

        let stopped = try await env.backend.instance(named: "future")
        #expect(stopped.stateDetail?.contains("newer unitop (state format 99") == true, "\(stopped.stateDetail ?? "nil")")
        #expect(stopped.state == .stopped, "no monitor runs for it")

        // With a live monitor (a sleeping child stands in for it) it is running, and actions are
        // refused with the reason instead of being sent in a protocol it may not speak.
        let standIn = Process()
        standIn.executableURL = URL(fileURLWithPath: "/bin/sleep")
        standIn.arguments = ["60"]
        try standIn.run()
        // SIGKILL: a child of a Dispatch thread inherits its blocked SIGTERM.
        defer { kill(standIn.processIdentifier, SIGKILL); standIn.waitUntilExit() }
        let monitor = try #require(PidRecord.current(pid: standIn.processIdentifier))
        try monitor.text.write(toFile: f.monitorPid, atomically: true, encoding: .utf8)
        let inst = try await env.backend.instance(named: "future")
        #expect(inst.state == .running)
        #expect(inst.stateDetail?.contains("newer unitop (state format 99") == true)
        do {
            try await env.backend.pause("future")
            Issue.record("pause of a newer-format instance went through")
        } catch {
            #expect("\(error)".contains("state format 99"), "\(error)")
        }
    }
}

@Suite struct MonitorLocatorTests {
    @Test func installedLayoutIsFoundFromTheExecutable() throws {
        let root = try TemporaryHome(prefix: "mloc")
        defer { root.remove() }
        let prefix = root.root + "/usr"
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/libexec/unitop", withIntermediateDirectories: true)
        let monitor = prefix + "/libexec/unitop/unitop-monitor"
        FileManager.default.createFile(atPath: monitor, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        let found = try MonitorLocator.find(environment: ["PATH": ""], executable: prefix + "/bin/unitop")
        #expect(found == monitor)
        // Next to the executable wins over libexec; UNITOP_MONITOR_BIN over both.
        let beside = prefix + "/bin/unitop-monitor"
        FileManager.default.createFile(atPath: beside, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        #expect(try MonitorLocator.find(environment: ["PATH": ""], executable: prefix + "/bin/unitop") == beside)
        #expect(try MonitorLocator.find(environment: ["UNITOP_MONITOR_BIN": monitor], executable: prefix + "/bin/unitop") == monitor)
        #expect(throws: UnitopError.self) { try MonitorLocator.find(environment: ["PATH": ""], executable: root.root + "/elsewhere/unitop") }
    }
}
