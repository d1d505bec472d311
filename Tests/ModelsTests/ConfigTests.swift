import Foundation
import Testing
@testable import Models

@Suite struct ConfigTests {
    func parse(_ text: String) throws(UnitopError) -> Config {
        try ConfigLoader.parse(text, file: "/etc/unitop.toml", baseDirectory: "/cfg", home: "/home/u")
    }

    /// The error `text` produces, as `(line, message)`.
    func failure(_ text: String) -> (line: Int?, message: String)? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            guard case .config(let path, let line, let message) = error, path == "/etc/unitop.toml" else { return nil }
            return (line, message)
        }
    }

    @Test func everyKey() throws {
        let config = try parse("""
            # unitop configuration
            backend = "libvirt"
            image_dirs = ["/srv/images", "~/unikernels", "relative/dir"]
            theme = "solarized"
            scrollback_lines = 50000
            stop_timeout = 2.5
            console_log_max = "16M"
            mouse = true

            [libvirt]
            uris = ["qemu:///system", "qemu+ssh://lab1/system"]

            [qemu]
            binary = "/opt/qemu/bin/qemu-system-x86_64"
            accel = "tcg"
            cpu = "kvm64,+sse2"
            machine = "q35"
            """)
        #expect(config.defaultBackend == .libvirt)
        #expect(config.imageDirectories == ["/srv/images", "/home/u/unikernels", "/cfg/relative/dir"])
        #expect(config.theme == "solarized")
        #expect(config.scrollbackLines == 50000)
        #expect(config.stopTimeoutSeconds == 2.5)
        #expect(config.consoleLogMaxBytes == 16 << 20)
        #expect(config.mouse)
        #expect(config.libvirtURIs == ["qemu:///system", "qemu+ssh://lab1/system"])
        #expect(config.qemu.binary == "/opt/qemu/bin/qemu-system-x86_64")
        #expect(config.qemu.accel == .tcg)
        #expect(config.qemu.cpu == "kvm64,+sse2")
        #expect(config.qemu.machine == "q35")
    }

    @Test func emptyFileGivesDefaults() throws {
        #expect(try parse("") == Config())
        #expect(try parse("# nothing\n\n") == Config())
        let ints = try parse("stop_timeout = 7\nconsole_log_max = 1048576\n")
        #expect(ints.stopTimeoutSeconds == 7)
        #expect(ints.consoleLogMaxBytes == 1 << 20)
        #expect(try parse("console_log_max = \"512KiB\"").consoleLogMaxBytes == 512 << 10)
        #expect(try parse("qemu.accel = \"kvm\"").qemu.accel == .kvm)
    }

    @Test func syntaxErrorsCarryTheLine() throws {
        let f = try #require(failure("backend = \"qemu\"\n\nscrollback_lines = \n"))
        #expect(f.line == 3)
        #expect(!f.message.isEmpty)
        let unterminated = try #require(failure("theme = \"dark\nmouse = true\n"))
        #expect(unterminated.line == 1)
        let duplicate = try #require(failure("mouse = true\nmouse = false\n"))
        #expect(duplicate.line == 2)
    }

    @Test func typeErrorsNameKeyAndLine() throws {
        let cases: [(String, Int, String)] = [
            ("backend = 1", 1, "'backend' must be a string, not an integer"),
            ("\nimage_dirs = \"/x\"", 2, "'image_dirs' must be an array of strings, not a string"),
            ("image_dirs = [1, 2]", 1, "'image_dirs' must hold non-empty strings"),
            ("image_dirs = [\"\"]", 1, "'image_dirs' must hold non-empty strings"),
            ("scrollback_lines = \"many\"", 1, "'scrollback_lines' must be an integer, not a string"),
            ("stop_timeout = \"10s\"", 1, "'stop_timeout' must be a number of seconds, not a string"),
            ("mouse = \"yes\"", 1, "'mouse' must be true or false, not a string"),
            ("console_log_max = true", 1, "'console_log_max' must be a size such as \"64M\" or a number of bytes, not a boolean"),
            ("libvirt = 3", 1, "'libvirt' must be a table, not an integer"),
            ("[libvirt]\nuris = \"qemu:///system\"", 2, "'libvirt.uris' must be an array of strings, not a string"),
            ("[qemu]\n\nbinary = false", 3, "'qemu.binary' must be a string, not a boolean"),
            // Dates are refused before TOMLKit sees them (see TOMLPreflight).
            ("\ntheme = 1979-05-27", 2, "dates and times are not supported here"),
        ]
        for (text, line, message) in cases {
            let f = try #require(failure(text), "no error for \(text)")
            #expect(f.line == line, "\(text)")
            #expect(f.message == message)
        }
    }

    @Test func valueErrors() throws {
        let cases: [(String, Int, String)] = [
            ("backend = \"docker\"", 1, "'backend' must be qemu or libvirt, not 'docker'"),
            ("scrollback_lines = 99", 1, "'scrollback_lines' must be between 100 and 1000000, not 99"),
            ("scrollback_lines = 1000001", 1, "'scrollback_lines' must be between 100 and 1000000, not 1000001"),
            ("stop_timeout = -1", 1, "'stop_timeout' must be between 0 and 3600 seconds, not -1"),
            ("stop_timeout = nan", 1, "'stop_timeout' must be between 0 and 3600 seconds, not nan"),
            ("stop_timeout = inf", 1, "'stop_timeout' must be between 0 and 3600 seconds, not inf"),
            ("console_log_max = \"lots\"", 1, "'console_log_max' is not a size: 'lots' (expected e.g. 64M or a number of bytes)"),
            ("console_log_max = \"1K\"", 1, "'console_log_max' must be between 64K and 1T"),
            ("console_log_max = \"99999999999T\"", 1, "'console_log_max' is not a size: '99999999999T' (expected e.g. 64M or a number of bytes)"),
            ("theme = \"\"", 1, "'theme' must not be empty"),
            ("[qemu]\naccel = \"hvf\"", 2, "'qemu.accel' must be auto, kvm or tcg, not 'hvf'"),
            ("[qemu]\ncpu = \"host; rm -rf\"", 2, "'qemu.cpu' has characters QEMU does not accept: 'host; rm -rf'"),
            ("[qemu]\nmachine = \"pc q35\"", 2, "'qemu.machine' must be pc, q35 or microvm, not 'pc q35'"),
            ("qemu.accel = \"hvf\"", 1, "'qemu.accel' must be auto, kvm or tcg, not 'hvf'"),
            ("[ qemu ]\n  \"accel\" = \"x\"", 2, "'qemu.accel' must be auto, kvm or tcg, not 'x'"),
        ]
        for (text, line, message) in cases {
            let f = try #require(failure(text), "no error for \(text)")
            #expect(f.line == line, "\(text)")
            #expect(f.message == message)
        }
    }

    @Test func unknownKeysAndTables() throws {
        let key = try #require(failure("mouse = true\n\nscrolback_lines = 100\n"))
        #expect(key.line == 3)
        #expect(key.message == "unknown key 'scrolback_lines'")
        let table = try #require(failure("theme = \"x\"\n[docker]\nhost = \"y\"\n"))
        #expect(table.line == 2)
        #expect(table.message == "unknown key 'docker'")
        let nested = try #require(failure("[qemu]\naccel = \"kvm\"\nmemory = 64\n"))
        #expect(nested.line == 3)
        #expect(nested.message == "unknown key 'qemu.memory'")
        let libvirt = try #require(failure("[libvirt]\nuri = \"x\"\n"))
        #expect(libvirt.message == "unknown key 'libvirt.uri'")
        #expect(libvirt.line == 2)
    }

    @Test func errorDescriptionIsOneLine() {
        let error = UnitopError.config(path: "/etc/unitop.toml", line: 3, message: "unknown key 'x'")
        #expect(error.description == "/etc/unitop.toml:3: unknown key 'x'")
    }

    @Test func loadFromDisk() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = try dir.write("config.toml", text: "image_dirs = [\"imgs\"]\nscrollback_lines = 200\n")
        let config = try Config.load(path: path)
        #expect(config.scrollbackLines == 200)
        #expect(config.imageDirectories == [dir.path + "/imgs"])
    }

    @Test func missingFile() throws {
        #expect(try Config.load(path: "/nonexistent/unitop/config.toml") == Config())
        #expect(throws: UnitopError.config(path: "/nonexistent/unitop/config.toml", line: nil, message: "no such file")) {
            try Config.load(path: "/nonexistent/unitop/config.toml", mustExist: true)
        }
    }

    @Test func fileProblems() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        #expect(throws: UnitopError.config(path: dir.path, line: nil, message: "not a regular file (directory)")) {
            try Config.load(path: dir.path)
        }
        let big = try dir.write("big.toml", text: String(repeating: "#\n", count: (1 << 19) + 1))
        #expect(throws: UnitopError.config(path: big, line: nil, message: "larger than 1 MiB; refusing to read it")) {
            try Config.load(path: big)
        }
        let exactly = try dir.write("exact.toml", text: String(repeating: "#\n", count: 1 << 19))
        #expect(try Config.load(path: exactly) == Config())
        let utf8 = try dir.write("bad.toml", [0x23, 0x0A, 0x74, 0x68, 0x65, 0x6D, 0x65, 0x3D, 0x22, 0xC3, 0x28, 0x22, 0x0A])
        #expect(throws: UnitopError.config(path: utf8, line: 2, message: "not valid UTF-8")) { try Config.load(path: utf8) }
        let nul = try dir.write("nul.toml", Array("mouse = true\ntheme = \"a".utf8) + [0] + Array("b\"\n".utf8))
        #expect(throws: UnitopError.config(path: nul, line: 2, message: "contains a NUL byte")) { try Config.load(path: nul) }
        let fifo = dir.path + "/fifo.toml"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: UnitopError.config(path: fifo, line: nil, message: "not a regular file (fifo)")) { try Config.load(path: fifo) }
    }

    @Test func lineFinderHandlesQuotesAndComments() throws {
        let doc = try TOMLDocument.parse("""
            # theme = "commented"
            "quoted.key" = 1
            a.b = 2
            [t]
            x = "has = sign"
            [[arr]]
            y = 3
            """, file: "f")
        #expect(doc.line(of: ["quoted.key"]) == 2)
        #expect(doc.line(of: ["a", "b"]) == 3)
        #expect(doc.line(of: ["t"]) == 4)
        #expect(doc.line(of: ["t", "x"]) == 5)
        #expect(doc.line(of: ["arr", "y"]) == 7)
        #expect(doc.line(of: ["theme"]) == nil)
    }

    /// Inputs that made toml++ 3.4.0 (inside TOMLKit 0.6.0) hit an assertion and abort the
    /// process (found by Fuzz/ConfigFuzz). They must come back as errors with a line.
    @Test(arguments: [
        ("mouse = false\n[\nilbvirt]\n", 2, "invalid table header: expected a key name after '['"),
        ("[[[1]]]", 1, "invalid table header: too many '['"),
        ("[[=", 1, "invalid table header: expected a key name after '['"),
        ("a = 1\n[#x]\n", 2, "invalid table header: expected a key name after '['"),
        ("x = 1\r\n[\r\n", 2, "invalid table header: expected a key name after '['"),
        ("\u{FEFF}[. ,1 0 \"tcg\n", 1, "invalid table header: expected a key name after '['"),
        ("scrollback_lines = 1\nx = { a = [0, 2.0, }\n", 2, "unexpected '}' in an array"),
        ("x = [\n  1,\n  # c\n  }\n", 4, "unexpected '}' in an array"),
        ("x = { a = [0, 2.0, 1979-04-27Tp7\u{1A}3:200Z]!}\n", 1, "dates and times are not supported here"),
        ("t = 07:32:00", 1, "dates and times are not supported here"),
    ])
    func parserCrashRegressions(text: String, line: Int, message: String) throws {
        let f = try #require(failure(text))
        #expect(f.line == line)
        #expect(f.message == message)
        #expect(throws: UnitopError.config(path: "s.toml", line: line, message: message)) {
            try SidecarLoader.parse(text, file: "s.toml")
        }
    }

    /// Valid TOML that looks like the hazards above is left to TOMLKit.
    @Test func preflightAcceptsValidTOML() throws {
        let text = """
            \u{FEFF}# a [ in a comment
            image_dirs = [
              "/a", # ] and [ in a comment
              '/b[',
            ]
            theme = \"\"\"
            [not a header
            \"\"\"
            [qemu]
            cpu = "kvm64"
            [ libvirt ]
            uris = [ ]
            """
        #expect(TOMLPreflight.check(text) == nil)
        let config = try parse(text)
        #expect(config.imageDirectories == ["/a", "/b["])
        #expect(config.theme == "[not a header\n")
        #expect(config.qemu.cpu == "kvm64")
        let nested = "x = [\n  [\n    1\n  ],\n  [2, 3],\n]\ny = { a = [1, {}] }\nz = 1e-5\nw = 1_000\n"
        #expect(TOMLPreflight.check(nested) == nil)
        #expect(throws: UnitopError.config(path: "/etc/unitop.toml", line: 9, message: "unknown key 'w'")) { try parse(nested) }
    }
}
