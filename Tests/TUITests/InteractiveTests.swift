import Foundation
import Models
import Testing
@testable import TUI

@Suite struct InteractiveTests {
    let id = InstanceID(backend: .qemu, host: "local", name: "web-1")

    func attached() -> AppState {
        var s = makeState([makeInstance("web-1")])
        press(&s, .character("a"))
        return s
    }

    @Test func attachShowsInputMarkAndForwardsKeysAsBytes() {
        var s = attached()
        #expect(s.interactive == id)
        #expect(s.screen == .console)
        #expect(screen(s).first?.contains("INPUT → guest web-1 (Ctrl-] to leave)") == true)
        #expect(press(&s, .character("h")) == [.sendInput(id, [0x68])])
        #expect(press(&s, .enter) == [.sendInput(id, [0x0D])])
        #expect(press(&s, .up) == [.sendInput(id, Array("\u{1B}[A".utf8))])
        #expect(press(&s, .down) == [.sendInput(id, Array("\u{1B}[B".utf8))])
        #expect(press(&s, .right) == [.sendInput(id, Array("\u{1B}[C".utf8))])
        #expect(press(&s, .left) == [.sendInput(id, Array("\u{1B}[D".utf8))])
        #expect(press(&s, .control("c")) == [.sendInput(id, [0x03])])
        #expect(press(&s, .backspace) == [.sendInput(id, [0x7F])])
        #expect(press(&s, .escape) == [.sendInput(id, [0x1B])])
        #expect(press(&s, .tab) == [.sendInput(id, [0x09])])
        #expect(press(&s, .character("é")) == [.sendInput(id, [0xC3, 0xA9])])
        #expect(press(&s, .pageUp) == [.sendInput(id, Array("\u{1B}[5~".utf8))])
        #expect(press(&s, .function(1)) == [.sendInput(id, Array("\u{1B}OP".utf8))])
        // q and ? go to the guest too.
        #expect(press(&s, .character("q")) == [.sendInput(id, [0x71])])
        #expect(!s.quitting)
        #expect(s.interactive == id)
    }

    @Test func ctrlBracketLeavesAndGuestKeepsRunning() {
        var s = attached()
        let effects = press(&s, .control("]"))
        #expect(effects.isEmpty)
        #expect(s.interactive == nil)
        #expect(s.screen == .instances)
        #expect(s.status?.text.contains("keeps running") == true)
        #expect(!(screen(s).first ?? "").contains("INPUT"))
    }

    @Test func cannotAttachToFinishedInstance() {
        var s = makeState([makeInstance("web-1", state: .exited, exitCode: 0)])
        press(&s, .character("a"))
        #expect(s.interactive == nil)
        #expect(s.status?.text == "cannot attach to 'web-1': it is exited")
    }

    @Test func instanceEndingLeavesInteractiveMode() {
        var s = attached()
        _ = reduce(&s, .backendEvent(.instanceChanged(makeInstance("web-1", state: .exited, exitCode: 0))))
        #expect(s.interactive == nil)
        #expect(press(&s, .character("x")).isEmpty)
    }

    @Test func statusBarInInteractiveMode() {
        let s = attached()
        #expect(screen(s).last?.contains("keys go to the guest") == true)
    }
}

@Suite struct InteractiveReturnTests {
    @Test func ctrlBracketReturnsToFullScreenConsoleWhenAttachedFromThere() {
        var s = makeState([makeInstance("web-1")])
        press(&s, .enter)
        #expect(s.screen == .console)
        press(&s, .character("a"))
        #expect(s.interactive != nil)
        press(&s, .control("]"))
        #expect(s.screen == .console)
        #expect(s.interactive == nil)
    }

    @Test func reloadDropsVanishedInstancesAndClosesTheirConsoles() {
        var s = makeState([makeInstance("a"), makeInstance("b")])
        let effects = reduce(&s, .instancesLoaded(BackendRef(kind: .qemu, host: "local"), [makeInstance("b")]))
        #expect(effects.contains(.closeConsole(InstanceID(backend: .qemu, host: "local", name: "a"))))
        #expect(s.rows.map(\.name) == ["b"])
        #expect(s.selectedID?.name == "b")
    }
}
