import Foundation
import Models
import Testing
@testable import TUI

@Suite struct ActionKeyTests {
    let id = InstanceID(backend: .qemu, host: "local", name: "web-1")

    @Test func stopAsksAndYesStops() {
        var s = makeState([makeInstance("web-1")])
        #expect(actions(press(&s, .character("S"))).isEmpty)
        #expect(s.confirm != nil)
        #expect(screenText(s).contains("Stop web-1?"))
        #expect(actions(press(&s, .character("y"))) == [.stop(id, timeoutSeconds: 10)])
        #expect(s.confirm == nil)
    }

    @Test func killAskAndNoOrEscCancels() {
        var s = makeState([makeInstance("web-1")])
        press(&s, .character("K"))
        #expect(screenText(s).contains("Kill web-1 immediately?"))
        #expect(actions(press(&s, .character("n"))).isEmpty)
        #expect(s.confirm == nil)
        #expect(s.status?.text == "cancelled")
        press(&s, .character("K"))
        #expect(actions(press(&s, .escape)).isEmpty)
        #expect(s.confirm == nil)
        press(&s, .character("K"))
        // Other keys are ignored while the dialog is open.
        #expect(actions(press(&s, .character("j"), .character("q"))).isEmpty)
        press(&s, .character("K"))
        #expect(actions(press(&s, .character("Y"))) == [.kill(id)])
    }

    @Test func removeFinishedVsRunning() {
        var s = makeState([makeInstance("web-1", state: .exited, exitCode: 0)])
        press(&s, .character("d"))
        #expect(actions(press(&s, .character("y"))) == [.remove(id, force: false)])
        var r = makeState([makeInstance("web-1")])
        press(&r, .character("d"))
        #expect(screenText(r).contains("kill and remove"))
        #expect(actions(press(&r, .character("y"))) == [.remove(id, force: true)])
    }

    @Test func pauseTogglesAndRestart() {
        var s = makeState([makeInstance("web-1")])
        #expect(actions(press(&s, .character("p"))) == [.pause(id)])
        _ = reduce(&s, .backendEvent(.instanceChanged(makeInstance("web-1", state: .paused))))
        #expect(actions(press(&s, .character("p"))) == [.resume(id)])
        #expect(actions(press(&s, .character("r"))) == [.restart(id)])
    }

    @Test func actionsOnWrongStateExplain() {
        var s = makeState([makeInstance("web-1", state: .exited, exitCode: 3)])
        #expect(actions(press(&s, .character("S"))).isEmpty)
        #expect(s.confirm == nil)
        #expect(s.status?.text == "cannot stop 'web-1': it is exited")
        #expect(s.status?.isError == true)
        #expect(actions(press(&s, .character("p"))).isEmpty)
        #expect(s.status?.text == "cannot pause 'web-1': it is exited")
    }

    @Test func readonlyRefusesEveryActionWithMessage() {
        var s = makeState([makeInstance("web-1")], readonly: true)
        for (key, name) in [("S", "stop"), ("K", "kill"), ("d", "remove"), ("p", "pause"), ("r", "restart"), ("a", "attach"), ("s", "start")] {
            let effects = press(&s, .character(Character(key)))
            #expect(actions(effects).isEmpty, "key \(key)")
            #expect(s.confirm == nil)
            #expect(s.status?.text == "read-only mode: '\(name)' is disabled", "key \(key)")
        }
        press(&s, .character("2"))
        s.images = [makeImage("hello")]
        Reducer.recomputeImageRows(&s)
        #expect(actions(press(&s, .character("s"))).isEmpty)
        #expect(s.startForm == nil)
    }

    @Test func readonlyHidesActionKeysFromStatusBar() {
        let rw = screen(makeState([makeInstance("web-1")], width: 160))
        let ro = screen(makeState([makeInstance("web-1")], width: 160, readonly: true))
        #expect(rw.last?.contains("S stop") == true)
        #expect(rw.last?.contains("K kill") == true)
        #expect(ro.last?.contains("stop") == false)
        #expect(ro.last?.contains("kill") == false)
        #expect(ro.last?.contains("attach") == false)
        #expect(ro.last?.contains("q quit") == true)
        #expect(ro.first?.contains("[read-only]") == true)
    }

    @Test func actionResultsShowInStatusBarUntilReplaced() {
        var s = makeState([makeInstance("web-1")])
        _ = reduce(&s, .actionFailed("stop web-1 failed: boom"))
        #expect(screen(s).last?.contains("stop web-1 failed: boom") == true)
        _ = reduce(&s, .tick(t0.addingTimeInterval(5)))
        #expect(screen(s).last?.contains("boom") == true)
        _ = reduce(&s, .actionSucceeded("stopped web-1"))
        #expect(s.status == StatusMessage(text: "stopped web-1", isError: false, time: s.now))
        #expect(screen(s).last?.contains("stopped web-1") == true)
    }

    @Test func noSelectionMessages() {
        var s = makeState([])
        press(&s, .character("S"))
        #expect(s.status?.text == "no instance selected")
        #expect(screenText(s).contains("no instances"))
    }
}
