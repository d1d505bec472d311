import Foundation
import QEMUMonitor
import Testing

@Suite("QMP message decoding")
struct QMPMessageTests {
    @Test func decodesEventsRepliesAndErrors() throws {
        let ev = try QMPMessage.decode(Array(#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}"#.utf8))
        guard case .event(let name, let data) = ev else { Issue.record("not an event: \(ev)"); return }
        #expect(name == "SHUTDOWN")
        #expect(data["reason"]?.string == "guest-shutdown")
        #expect(data["guest"]?.bool == true)

        #expect(try QMPMessage.decode(Array(#"{"QMP": {"version": {}, "capabilities": []}}"#.utf8)) == .greeting)
        let ok = try QMPMessage.decode(Array(#"{"return": {"status": "internal-error", "running": false}, "id": 7}"#.utf8))
        guard case .success(let id, let v) = ok else { Issue.record("not a reply"); return }
        #expect(id == 7)
        #expect(v["status"]?.string == "internal-error")
        #expect(v["running"]?.bool == false)

        let err = try QMPMessage.decode(Array(#"{"error": {"class": "GenericError", "desc": "boom"}, "id": 3}"#.utf8))
        #expect(err == .error(id: 3, errorClass: "GenericError", description: "boom"))
    }

    @Test func rejectsGarbage() {
        #expect(throws: QMPDecodeError.notJSON) { try QMPMessage.decode(Array("{not json".utf8)) }
        #expect(throws: QMPDecodeError.notAnObject) { try QMPMessage.decode(Array("[1,2]".utf8)) }
        #expect(throws: QMPDecodeError.unknownShape) { try QMPMessage.decode(Array(#"{"x": 1}"#.utf8)) }
    }

    @Test func encodesCommandsAsOneLine() throws {
        let bytes = QMPMessage.command("quit", id: 5)
        #expect(bytes.last == 0x0A)
        let obj = try JSONSerialization.jsonObject(with: Data(bytes.dropLast())) as? [String: Any]
        #expect(obj?["execute"] as? String == "quit")
        #expect(obj?["id"] as? Int == 5)
    }

    @Test func lineBufferSplitsAndBoundsLines() {
        var lb = LineBuffer(maxLineBytes: 8)
        #expect(lb.append(Array("ab".utf8)) == [])
        #expect(lb.append(Array("c\r\nde\n".utf8)) == [.line(Array("abc".utf8)), .line(Array("de".utf8))])
        // An oversized line is dropped up to its newline and reported once; the next line is fine.
        let items = lb.append(Array("0123456789abcdef\nok\n".utf8))
        #expect(items.count == 2)
        if case .oversized(let n) = items[0] { #expect(n >= 9) } else { Issue.record("expected oversized") }
        #expect(items[1] == .line(Array("ok".utf8)))
        #expect(lb.pendingCount == 0)
    }

    @Test func procStatParsesNamesWithSpacesAndParens() throws {
        var fields = ["S"] + Array(repeating: "0", count: 40)
        fields[11] = "7"; fields[12] = "5"; fields[19] = "12345"
        let line = "42 (we (ir) d) " + fields.joined(separator: " ")
        let s = try #require(ProcStat.parse(Array(line.utf8)))
        #expect(s.state == "S")
        #expect(s.cpuTicks == 12)
        #expect(s.startTime == 12345)
    }

    @Test func procStatmGivesResidentPages() {
        #expect(ProcStat.residentPages(statm: Array("5180 843 612 1 0 197 0\n".utf8)) == 843)
        #expect(ProcStat.residentPages(statm: Array("5180\n".utf8)) == nil)
        #expect(ProcStat.residentPages(statm: Array("5180 x 612\n".utf8)) == nil)
    }
}
