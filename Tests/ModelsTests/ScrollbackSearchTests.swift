import Models
import Testing

@Suite("Scrollback search")
struct ScrollbackSearchTests {
    func sample() -> Scrollback {
        var scrollback = Scrollback(capacity: 4)  // 4 completed lines + the partial one
        scrollback.append("evicted error 0\n")  // line 0
        scrollback.append("evicted ERROR 1\n")  // line 1
        scrollback.append("ok\n")               // line 2
        scrollback.append("Error: upstream \u{1B}[31merror\u{1B}[0m\n")  // line 3
        scrollback.append("日本 error Ünïcode\n")  // line 4
        scrollback.append("nothing\n")          // line 5
        scrollback.append("errorerror")         // line 6 (partial)
        return scrollback
    }

    @Test("matches carry absolute line numbers and skip evicted lines")
    func search() {
        let scrollback = sample()
        #expect(scrollback.firstLineNumber == 2)
        let matches = scrollback.search("error", caseInsensitive: true)
        #expect(matches.map(\.lineNumber) == [3, 3, 4, 6, 6])
        #expect(matches[0].utf8Range == 0..<5)
        #expect(matches[1].utf8Range == 16..<21)
        // "日本 " is 7 bytes and 3 columns.
        #expect(matches[2].utf8Range == 7..<12)
        #expect(matches[2].columnRange == 3..<8)
        #expect(matches[4].utf8Range == 5..<10)
    }

    @Test("case-sensitive search")
    func caseSensitive() {
        let matches = sample().search("Error", caseInsensitive: false)
        #expect(matches.map(\.lineNumber) == [3])
    }

    @Test("non-ASCII queries, case-insensitive")
    func unicodeQuery() {
        let scrollback = sample()
        let matches = scrollback.search("üNÏ", caseInsensitive: true)
        #expect(matches.count == 1)
        #expect(matches.first?.lineNumber == 4)
        #expect(matches.first?.columnRange == 9..<12)
        #expect(matches.first?.utf8Range == 13..<18)
        #expect(scrollback.search("日本", caseInsensitive: false).count == 1)
        #expect(scrollback.search("", caseInsensitive: true).isEmpty)
    }

    @Test("next and previous match from a position")
    func navigation() throws {
        let scrollback = sample()
        let first = try #require(scrollback.nextMatch("error", after: nil))
        #expect(first.lineNumber == 3 && first.utf8Range.lowerBound == 0)
        let second = try #require(scrollback.nextMatch("error", after: first.position))
        #expect(second.lineNumber == 3 && second.utf8Range.lowerBound == 16)
        let third = try #require(scrollback.nextMatch("error", after: second.position))
        #expect(third.lineNumber == 4)
        let fromEvicted = try #require(scrollback.nextMatch("error", after: ScrollbackPosition(lineNumber: 0)))
        #expect(fromEvicted.lineNumber == 3)
        let last = try #require(scrollback.previousMatch("error", before: nil))
        #expect(last.lineNumber == 6 && last.utf8Range.lowerBound == 5)
        let beforeLast = try #require(scrollback.previousMatch("error", before: last.position))
        #expect(beforeLast.lineNumber == 6 && beforeLast.utf8Range.lowerBound == 0)
        let beforeThird = try #require(scrollback.previousMatch("error", before: third.position))
        #expect(beforeThird == second)
        #expect(scrollback.previousMatch("error", before: first.position) == nil)
        #expect(scrollback.nextMatch("error", after: last.position) == nil)
        #expect(scrollback.nextMatch("absent", after: nil) == nil)
    }

    @Test("search after many evictions")
    func searchAfterEviction() {
        var scrollback = Scrollback(capacity: 100)
        for k in 0..<1000 { scrollback.append("line \(k)\(k % 10 == 0 ? " needle" : "")\n") }
        let matches = scrollback.search("NEEDLE", caseInsensitive: true)
        #expect(matches.map(\.lineNumber) == Array(stride(from: 900, to: 1000, by: 10)))
        #expect(matches.allSatisfy { scrollback.line(at: $0.lineNumber)?.text.hasSuffix("needle") == true })
    }
}
