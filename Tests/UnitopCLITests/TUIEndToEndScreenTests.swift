import Foundation
import Models
import Testing
import UnitopTesting

extension TUIEndToEnd {
    /// The screen after resizes: each size must look exactly like a UI started at that size.
    @Suite struct ScreenTests {
        /// Opens a second UI on the same home at `width`×`height` (its own tmux server), for reference.
        static func reference(_ s: TUISession, width: Int, height: Int) throws -> Tmux {
            let t = try Tmux(width: width, height: height, command: [Fixtures.unitopBinary],
                             environment: s.environment, unset: ["NO_COLOR"])
            return t
        }

        @Test func resizeRedrawsEverySizeWithoutLeftovers() throws {
            let s = try TUISession(); defer { s.close() }
            // Only finished instances: nothing on screen changes with time, so screens compare exactly.
            try s.start("exit", name: "e0", extra: ["--append", "code=0"])
            try s.start("exit", name: "e3", extra: ["--append", "code=3"])
            try s.start("panic", name: "p1")
            #expect(try s.h.waitFor("e0", timeout: TUISession.slow) { $0.state.isFinished } != nil)
            #expect(try s.h.waitFor("e3", timeout: TUISession.slow) { $0.state.isFinished } != nil)
            #expect(try s.h.waitFor("p1", timeout: TUISession.slow) { $0.state.isFinished } != nil)
            let t = try s.open(width: 130, height: 32)
            #expect(s.waitForRow("p1", containing: "crashed"), "\(s.screen)")
            #expect(s.waitFor("exit: code=0"), "console pane of e0: \(s.screen)")
            let initial = try t.capture()

            for (w, h) in [(80, 24), (50, 12)] {
                try t.resize(width: w, height: h)
                let ref = try Self.reference(s, width: w, height: h)
                defer { ref.kill() }
                #expect(ref.waitFor("exit: code=0", timeout: TUISession.quick), "reference \(w)x\(h): \((try? ref.screen()) ?? "")")
                var mine: [String] = [], theirs: [String] = []
                let same = Wait.blockingUntil(timeout: TUISession.quick) {
                    mine = (try? t.capture()) ?? []
                    theirs = (try? ref.capture()) ?? []
                    return !mine.isEmpty && mine == theirs
                }
                #expect(same, "after resize to \(w)x\(h):\n\(mine.joined(separator: "\n"))\n--- started at that size:\n\(theirs.joined(separator: "\n"))")
                #expect(mine.count == h)
            }

            try t.resize(width: 39, height: 9)
            #expect(t.waitFor("terminal too small: 39x9", timeout: TUISession.quick), "\(s.screen)")
            let small = try t.capture()
            #expect(small.first == "terminal too small: 39x9")
            #expect(small.dropFirst(3).allSatisfy { $0.isEmpty }, "nothing else on the too-small screen: \(small)")

            try t.resize(width: 130, height: 32)
            var back: [String] = []
            let restored = Wait.blockingUntil(timeout: TUISession.quick) { back = (try? t.capture()) ?? []; return back == initial }
            #expect(restored, "back at 130x32:\n\(back.joined(separator: "\n"))\n--- first frame:\n\(initial.joined(separator: "\n"))")
            #expect(!back.joined().contains("too small"))
            // Still responsive at the old size.
            try t.sendKeys("j")
            #expect(s.waitFor("exit: code=3"), "\(s.screen)")
        }
    }
}
