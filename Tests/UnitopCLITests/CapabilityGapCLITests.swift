import Foundation
import Testing
import UnitopTesting

/// `ps` writes what the backend cannot report as "n/a (libvirt)"; `ps --json` keeps null.
@Suite struct CapabilityGapCLITests {
    @Test func psTableSaysNotAvailableAndJSONKeepsNull() throws {
        let h = try CLIHarness(); defer { h.cleanup() }
        // libvirt's test driver: one running domain, "test"; libvirt reports no pid and no boot time.
        let table = try h.unitop(["ps", "--connect", "test:///default"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        let row = try #require(lines.first { $0.hasPrefix("test ") })
        for column in ["PID", "BOOT"] {
            let at = try #require(header.range(of: column)).lowerBound
            let offset = header.distance(from: header.startIndex, to: at)
            #expect(row.dropFirst(offset).hasPrefix("n/a (libvirt)"), "\(column) in \(row)")
        }
        let json = try h.unitop(["ps", "--connect", "test:///default", "--json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let test = try #require(array.first { $0["name"] as? String == "test" })
        #expect(test["pid"] is NSNull)
        #expect(test["bootMillis"] is NSNull)
    }
}
