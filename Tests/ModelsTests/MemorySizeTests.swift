import Testing
import Models

@Suite struct MemorySizeTests {
    @Test(arguments: [
        ("64M", 64), ("64m", 64), ("64MB", 64), ("64MiB", 64), ("512", 512), ("1G", 1024), ("2GiB", 2048),
        ("65536K", 64), ("1024KiB", 1), ("1T", 1 << 20), ("0001M", 1),
    ])
    func good(text: String, mib: Int) throws {
        #expect(try MemorySize.parseMiB(text) == mib)
    }

    @Test(arguments: [
        "", "abc", "0", "0M", "1T+", "-1", "+1", "1.5G", " 64M", "64 M", "64X", "M", "MB", "KiB", "1K", "1023K",
        "2T", "1048577", "99999999999999999999", "9999999999999T", "１２M", String(repeating: "9", count: 30),
    ])
    func bad(text: String) {
        #expect(throws: UnitopError.self) { try MemorySize.parseMiB(text) }
    }

    @Test func messagesSayWhy() {
        #expect(throws: UnitopError.invalidArgument("invalid memory size 'abc': expected e.g. 64M or 1G")) {
            try MemorySize.parseMiB("abc")
        }
        #expect(throws: UnitopError.invalidArgument("invalid memory size '0': at least 1M is needed")) {
            try MemorySize.parseMiB("0")
        }
        #expect(throws: UnitopError.invalidArgument("invalid memory size '2T': more than 1T")) {
            try MemorySize.parseMiB("2T")
        }
    }
}
