import Foundation
import Models
import Testing
import UnitopTesting

/// The command-line contract without a running guest: exit statuses, one-line errors,
/// global options in either position, read-only mode, images and inspect of image paths.
@Suite struct ArgumentTests {
    @Test func unknownFlagAndMissingArgumentAreUsageErrors() throws {
        let h = try CLIHarness(); defer { h.cleanup() }
        let unknown = try h.unitop(["ps", "--no-such-flag"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("unitop: "))
        #expect(unknown.stderr.contains("--no-such-flag"))
        let missing = try h.unitop(["stop"])
        #expect(missing.status == 2)
        let unknownCommand = try h.unitop(["frobnicate"])
        #expect(unknownCommand.status == 2)
    }

    @Test func helpAndVersionExitZero() throws {
        let h = try CLIHarness(); defer { h.cleanup() }
        let help = try h.unitop(["--help"])
        #expect(help.status == 0)
        for sub in ["images", "ps", "run", "stop", "kill", "pause", "resume", "restart", "rm", "logs", "console", "inspect", "tui"] {
            #expect(help.stdout.contains("  \(sub)"), "help lists \(sub)")
        }
        let subHelp = try h.unitop(["help", "run"])
        #expect(subHelp.status == 0)
        #expect(subHelp.stdout.contains("--detach"))
        let version = try h.unitop(["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
        let completion = try h.unitop(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.stdout.contains("unitop"))
    }

    @Test func globalOptionsBeforeAndAfterTheSubcommand() throws {
        let h = try CLIHarness(); defer { h.cleanup() }
        for args in [["ps", "--backend", "qemu", "--json"], ["--backend", "qemu", "ps", "--json"], ["--backend=qemu", "ps", "--json"]] {
            let r = try h.unitop(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(r.stdout == "[]\n", "\(args)")
        }
        for args in [["ps", "--backend", "bogus"], ["--backend", "bogus", "ps"]] {
            let r = try h.unitop(args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderrLines.count == 1 && r.stderr.contains("unknown backend 'bogus'"), "\(args): \(r.stderr)")
        }
        for args in [["ps", "--backend", "qemu", "--connect", "test:///default"], ["--connect", "test:///default", "--backend", "qemu", "ps"]] {
            let r = try h.unitop(args)
            #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains("--connect"), "\(args): \(r.stderr)")
        }
        // --state-dir in either position selects the same state directory.
        let alt = h.home.root + "/alt-state"
        for args in [["--state-dir", alt, "ps"], ["ps", "--state-dir", alt]] {
            #expect(try h.unitop(args).status == 0)
        }
        #expect(FileManager.default.fileExists(atPath: alt + "/unitop.log"))
        // --config must exist when given, in either position.
        for args in [["--config", h.home.root + "/missing.toml", "ps"], ["ps", "--config", h.home.root + "/missing.toml"]] {
            let r = try h.unitop(args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderrLines.count == 1, "\(args): \(r.stderr)")
        }
    }

    @Test func badRunInputFailsWithOneLineAndLeavesNothing() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let junk = h.home.root + "/junk.bin"
        try Data("not a kernel\n".utf8).write(to: URL(fileURLWithPath: junk))
        let hello = Fixtures.path("hello")
        let cases: [([String], String)] = [
            (["run", h.home.root + "/no-such.elf"], "no image"),
            (["run", "no-such-image-name"], "no image"),
            (["run", junk], "not bootable"),
            (["run", hello, "--name", "a/b"], "invalid name"),
            (["run", hello, "--name", ".."], "invalid name"),
            (["run", hello, "--name", "with space"], "invalid name"),
            (["run", hello, "--name", String(repeating: "x", count: 65)], "invalid name"),
            (["run", hello, "--memory", "abc"], "invalid memory size"),
            (["run", hello, "--cpus", "0"], "invalid cpus"),
            (["run", hello, "--cpus", "65"], "invalid cpus"),
            (["run", hello, "--accel", "warp"], "invalid accel"),
            (["run", hello, "--machine", "q99"], "invalid machine"),
            (["stop", "x", "--timeout", "-1"], "invalid timeout"),
            (["stop", "../etc"], "invalid name"),
            (["stop", "nobody"], "no instance named 'nobody'"),
            (["logs", "nobody"], "no instance named 'nobody'"),
            (["inspect", "nobody"], "no instance or image named 'nobody'"),
        ]
        for (args, expected) in cases {
            let r = try h.unitop(args + ["--detach"].filter { _ in args.first == "run" })
            #expect(r.status == 1, "\(args) exit \(r.status)")
            #expect(r.stderrLines.count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("unitop: ") && r.stderr.contains(expected), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args): \(r.stdout)")
        }
        #expect(try h.instances().isEmpty)
        let entries = (try? FileManager.default.subpathsOfDirectory(atPath: h.home.stateDirectory)) ?? []
        #expect(entries.allSatisfy { !$0.contains("with space") && !$0.hasPrefix("x") && !$0.contains("..") }, "\(entries)")
        #expect(h.leftoverProcesses().isEmpty)
    }

    @Test func readonlyRefusesActionsButLists() throws {
        let h = try CLIHarness(); defer { h.cleanup() }
        let actions: [[String]] = [
            ["run", "/nonexistent.elf"], ["stop", "a"], ["kill", "a"], ["pause", "a"], ["resume", "a"],
            ["restart", "a"], ["rm", "a"], ["rm", "--force", "a"], ["console", "a"],
        ]
        for action in actions {
            for args in [["--readonly"] + action, action + ["--readonly"]] {
                let r = try h.unitop(args)
                #expect(r.status == 1, "\(args)")
                #expect(r.stderrLines.count == 1 && r.stderr.contains("read-only"), "\(args): \(r.stderr)")
            }
        }
        #expect(try h.unitop(["--readonly", "ps", "--json"]).status == 0)
        #expect(try h.unitop(["images", "--readonly"]).status == 0)
    }

    @Test func imagesJSONHasTheContractFields() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let r = try h.unitop(["images", "--json", "--dir", Fixtures.directory])
        #expect(r.status == 0, "\(r.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let hello = try #require(array.first { $0["name"] as? String == "hello" })
        for key in ["name", "path", "format", "arch", "sizeBytes", "modifiedAt", "bootable", "reason"] {
            #expect(hello.keys.contains(key), "images --json lacks \(key)")
        }
        #expect(hello["format"] as? String == "multiboot")
        #expect(hello["bootable"] as? Bool == true)
        #expect(hello["reason"] is NSNull)
        #expect((hello["path"] as? String).map { $0.hasSuffix("/hello.elf") } == true)
        #expect(ISO8601.date(from: hello["modifiedAt"] as? String ?? "") != nil)
        // the table form lists it too, and a catalogued name resolves through the data home.
        let table = try h.unitop(["images", "--dir", Fixtures.directory])
        #expect(table.stdout.hasPrefix("NAME") && table.stdout.contains("hello"))
        let images = h.home.dataHome + "/unitop/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("idle"), toPath: images + "/idle.elf")
        let listed = try h.unitop(["images", "--json"])
        #expect(listed.stdout.contains("\"name\":\"idle\""))
    }

    @Test func inspectAnImagePath() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let r = try h.unitop(["inspect", Fixtures.path("hello")])
        #expect(r.status == 0, "\(r.stderr)")
        let image = try JSONCoding.decoder().decode(Image.self, from: Data(r.stdout.utf8))
        #expect(image.format == .multiboot && image.bootable && image.path == Fixtures.path("hello"))
        let junk = h.home.root + "/junk.bin"
        try Data([0, 1, 2, 3]).write(to: URL(fileURLWithPath: junk))
        let bad = try h.unitop(["inspect", junk])
        #expect(bad.status == 0)
        let badImage = try JSONCoding.decoder().decode(Image.self, from: Data(bad.stdout.utf8))
        #expect(!badImage.bootable && badImage.reason != nil)
    }

    @Test func noArgumentsWithoutATerminalFailsClearly() throws {
        let h = try CLIHarness(); defer { h.cleanup() }
        for args in [[], ["--readonly"], ["tui"]] {
            let r = try h.unitop(args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderrLines.count == 1 && r.stderr.contains("needs a terminal"), "\(args): \(r.stderr)")
        }
    }
}
