import Foundation
import Models
import Testing

@Suite("Log timestamps")
struct LogTimestampTests {
    @Test("UTC, zero-padded, to the millisecond")
    func formats() {
        #expect(LogTimestamp.format(seconds: 0, milliseconds: 5) == "1970-01-01T00:00:00.005Z")
        #expect(LogTimestamp.format(seconds: 1_795_877_218, milliseconds: 674) == "2026-11-28T14:46:58.674Z")
        #expect(LogTimestamp.format(seconds: 951_782_400, milliseconds: 999) == "2000-02-29T00:00:00.999Z")
    }

    @Test("now() agrees with Foundation's clock")
    func now() throws {
        let before = Date().timeIntervalSince1970
        let text = LogTimestamp.now()
        let after = Date().timeIntervalSince1970
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(parser.date(from: text), "\(text)")
        #expect(parsed.timeIntervalSince1970 >= before - 0.002 && parsed.timeIntervalSince1970 <= after + 0.002)
    }
}
