import Backends
import Foundation
import Models
import QEMUMonitor
import Testing
import UnitopTesting

/// Needs a usable /dev/kvm; on a host without one (a VM without nested virtualization) the suite
/// is skipped, and `KVMAbsenceTests` checks that path instead.
@Suite("QEMU backend under KVM", .serialized,
       .enabled(if: FileManager.default.isWritableFile(atPath: "/dev/kvm"), "no usable /dev/kvm on this host"))
struct QEMUKVMTests {
    @Test func helloBootsUnderKVMAndAutoPicksKVM() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let inst = try await env.backend.start(try env.spec("hello", name: "kvm-hello", accel: .kvm))
        #expect(inst.accel == "kvm")
        #expect(inst.commandLine?.contains("kvm64") == true)
        let viewer = ConsoleCollector(env.backend.console("kvm-hello", history: .all, follow: true))
        defer { viewer.cancel() }
        #expect(await viewer.wait(for: "heartbeat 1"))
        try await env.backend.kill("kvm-hello")

        let auto = try await env.backend.start(try env.spec("idle", name: "auto", accel: .auto))
        #expect(auto.accel == "kvm")
        try await env.backend.kill("auto")
    }

    @Test func sseUnderKVMIsAnInternalErrorCrash() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        _ = try await env.backend.start(try env.spec("sse", name: "sse", accel: .kvm))
        let done = try await QEMUTest.waitForState(env.backend, "sse", [.crashed, .exited, .stopped])
        #expect(done.state == .crashed)
        #expect(done.exitReason == "KVM internal error (emulation failure)", "\(done.exitReason ?? "nil")")
    }
}
