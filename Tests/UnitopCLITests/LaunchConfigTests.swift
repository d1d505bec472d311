import Foundation
import Models
import Testing
import UnitopTesting

/// `unitop run` resolves its launch values through the one resolver: flag, then the image's
/// sidecar, then the config's `[qemu]` section, then the default.
@Suite struct LaunchConfigTests {
    func writeConfig(_ h: CLIHarness, _ text: String) throws {
        let dir = h.home.configHome + "/unitop"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/config.toml"))
    }

    @Test func configMachineAndAccelAreUsedWithoutFlags() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        try writeConfig(h, "[qemu]\nmachine = \"microvm\"\naccel = \"tcg\"\n")
        // A copy without the fixture's sidecar, so only the config speaks.
        let images = h.home.root + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("idle"), toPath: images + "/plain.elf")
        let r = try h.unitop(["run", images + "/plain.elf", "--name", "cfg", "--detach"])
        try #require(r.status == 0, "\(r.stderr)")
        let inst = try #require(try h.instance("cfg"))
        #expect(inst.machine == "microvm")
        #expect(inst.accel == "tcg")
        let argv = inst.commandLine ?? []
        let machineAt = try #require(argv.firstIndex(of: "-machine"))
        #expect(argv.indices.contains(machineAt + 1) && argv[machineAt + 1].hasPrefix("microvm"), "\(argv)")

        // The image's sidecar beats the config; a flag beats the sidecar.
        try FileManager.default.copyItem(atPath: Fixtures.path("idle"), toPath: images + "/side.elf")
        try Data("machine = \"pc\"\ncpus = 2\n".utf8).write(to: URL(fileURLWithPath: images + "/side.toml"))
        let side = try h.unitop(["run", images + "/side.elf", "--name", "side", "--detach", "--cpus", "3"])
        try #require(side.status == 0, "\(side.stderr)")
        let sideInst = try #require(try h.instance("side"))
        #expect(sideInst.machine == "pc")
        #expect(sideInst.cpus == 3)
        #expect(sideInst.accel == "tcg")
    }

    @Test func aBadSidecarValueFailsNamingTheSidecar() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let images = h.home.root + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("hello"), toPath: images + "/big.elf")
        try Data("cpus = 65\n".utf8).write(to: URL(fileURLWithPath: images + "/big.toml"))
        let r = try h.unitop(["run", images + "/big.elf", "--detach", "--accel", "tcg"])
        #expect(r.status == 1)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        // the sidecar is refused where it is read: as malformed, naming the file, with the one cpu limit.
        #expect(r.stderr.contains("big.toml") || r.stderr.contains("sidecar"), "\(r.stderr)")
        #expect(try h.instances().isEmpty)
    }
}
