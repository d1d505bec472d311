import Foundation
import Models
import Testing
import UnitopTesting

/// The qemu backend on a host without /dev/kvm at all: the real binary runs inside
/// `scripts/without-kvm.sh` (a private mount namespace whose /dev has no kvm node; the host's
/// /dev is untouched). `auto` must fall back to TCG and boot; an explicit `--accel kvm` must fail
/// with QEMU's own reason, on one line, leaving nothing running. The other device modes (root-only,
/// group kvm, world-writable) are covered by the libvirt accel tests and by every other suite,
/// which run with whatever mode the host has.
@Suite(.serialized, .enabled(if: getuid() == 0, "mount namespaces need root"))
struct KVMAbsenceTests {
    static var script: String { Fixtures.repositoryRoot.appendingPathComponent("scripts/without-kvm.sh").path }

    /// `unitop ARGS` with no /dev/kvm in sight.
    static func unitopWithoutKVM(_ arguments: [String], _ h: CLIHarness) throws -> RunResult {
        try Run.command([script, Fixtures.unitopBinary] + arguments, environment: h.home.environment, timeout: 60)
    }

    @Test func autoFallsBackToTCGAndKVMFailsClearly() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness()
        defer { h.cleanup() }

        let auto = try Self.unitopWithoutKVM(["run", Fixtures.path("hello"), "--name", "nokvm", "--accel", "auto", "--detach"], h)
        try #require(auto.status == 0, "run without /dev/kvm failed (\(auto.status)): \(auto.stderr)")
        let running = try #require(try h.instance("nokvm"))
        #expect(running.accel == "tcg", "auto without /dev/kvm chose \(running.accel ?? "nil")")
        #expect(try h.waitForLog("nokvm", contains: "heartbeat 1"), "the TCG guest boots and runs")

        let kvm = try Self.unitopWithoutKVM(["run", Fixtures.path("hello"), "--name", "forced", "--accel", "kvm", "--detach"], h)
        #expect(kvm.status == 1, "status \(kvm.status), stderr: \(kvm.stderr)")
        #expect(kvm.stderrLines.count == 1, "one line: \(kvm.stderr)")
        #expect(kvm.stderr.contains("KVM"), "QEMU's reason is shown: \(kvm.stderr)")
        #expect(try h.instance("forced").map { !$0.state.isActive } ?? true, "nothing left running")
    }
}
