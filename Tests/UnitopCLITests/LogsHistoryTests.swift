import Foundation
import Models
import Testing
import UnitopTesting

/// `unitop logs` without `--follow` on a rotated console log: both segments, in order, byte for
/// byte with `--raw`, and through one sanitizer (a sequence split across the two files is still
/// recognised and dropped).
@Suite(.serialized)
struct LogsHistoryTests {
    @Test func rotatedLogIsPrintedWholeAndInOrder() throws {
        try CLIHarness.requireFixtures()
        let h = try CLIHarness(); defer { h.cleanup() }
        let r = try h.unitop(["run", Fixtures.path("exit"), "--name", "rot1", "--append", "code=0", "--accel", "tcg"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let log = try #require(try h.instance("rot1")?.consoleLogPath)
        // The rotated part ends inside a title-setting OSC that the current part finishes.
        let older: [UInt8] = Array("older part\r\n\u{1b}[32mgreen\u{1b}[0m ".utf8) + [0xC3] + Array("\u{1b}]0;pwn".utf8)
        let newer: [UInt8] = Array("ed\u{07}newer part ".utf8) + [0xFF, 0xFE, 0x00, 0x1B, 0x63] + Array("end\r\n".utf8)
        #expect(FileManager.default.createFile(atPath: log + ".1", contents: Data(older)))
        #expect(FileManager.default.createFile(atPath: log, contents: Data(newer)))

        let raw = try h.unitop(["logs", "--raw", "rot1"])
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(raw.stdoutBytes == older + newer, "raw is console.log.1 then console.log, byte for byte")

        let clean = try h.unitop(["logs", "rot1"])
        #expect(clean.status == 0, "\(clean.stderr)")
        let text = clean.stdout
        let olderAt = try #require(text.range(of: "older part"))
        let newerAt = try #require(text.range(of: "newer part"))
        #expect(olderAt.upperBound <= newerAt.lowerBound, "older part first")
        #expect(!text.contains("pwn") && !text.contains("\u{1b}]"), "the OSC split across the files is dropped whole")
        #expect(!text.contains("\u{1b}c"), "reset dropped")
        #expect(text.contains("\u{1b}[32mgreen"), "SGR kept")
        #expect(text.contains("\u{FFFD}"), "invalid UTF-8 shown as U+FFFD")
        #expect(text.hasSuffix("end\r\n"))

        // Without console.log.1 only console.log is printed.
        #expect(unlink(log + ".1") == 0)
        #expect(try h.unitop(["logs", "--raw", "rot1"]).stdoutBytes == newer)
    }
}
