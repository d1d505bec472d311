import Foundation
import Models
import Testing
@testable import TUI

@Suite struct NavigationTests {
    let three = [makeInstance("alpha"), makeInstance("bravo"), makeInstance("charlie")]

    @Test func jkMoveSelectionAndClampAtEnds() {
        var s = makeState(three)
        #expect(s.selectedID?.name == "alpha")
        press(&s, .character("j"))
        #expect(s.selectedID?.name == "bravo")
        press(&s, .down, .down, .down)
        #expect(s.selectedID?.name == "charlie")
        press(&s, .character("k"), .up, .up)
        #expect(s.selectedID?.name == "alpha")
        press(&s, .character("G"))
        #expect(s.selectedID?.name == "charlie")
        press(&s, .home)
        #expect(s.selectedID?.name == "alpha")
        press(&s, .end)
        #expect(s.selectedID?.name == "charlie")
    }

    @Test func pagingScrollsTheTableAndKeepsCursorVisible() {
        let many = (0..<100).map { makeInstance(String(format: "vm-%03d", $0)) }
        var s = makeState(many, height: 30)
        press(&s, .pageDown)
        #expect(s.cursor > 5)
        press(&s, .character("G"))
        #expect(s.selectedID?.name == "vm-099")
        let lines = screen(s)
        #expect(lines.contains { $0.contains("vm-099") })
        #expect(!lines.contains { $0.contains("vm-000") })
        press(&s, .pageUp)
        #expect(s.cursor < 99)
        press(&s, .character("g"))
        #expect(screen(s).contains { $0.contains("vm-000") })
    }

    @Test func selectionStaysOnSameInstanceWhenListChanges() {
        var s = makeState(three)
        press(&s, .character("j"))  // bravo
        _ = reduce(&s, .backendEvent(.instanceChanged(makeInstance("aardvark"))))
        #expect(s.selectedID?.name == "bravo")
        #expect(s.cursor == 2)
        _ = reduce(&s, .backendEvent(.instanceRemoved(InstanceID(backend: .qemu, host: "local", name: "bravo"))))
        // Selected row vanished: the cursor stays at the same position.
        #expect(s.selectedID?.name == "charlie")
        _ = reduce(&s, .backendEvent(.instanceRemoved(InstanceID(backend: .qemu, host: "local", name: "charlie"))))
        #expect(s.selectedID?.name == "alpha")
    }

    @Test func sortByColumnsAndInvert() {
        var s = makeState([makeInstance("b", memory: 256), makeInstance("a", memory: 32), makeInstance("c", memory: 128)])
        #expect(s.rows.map(\.name) == ["a", "b", "c"])
        press(&s, .character(">"), .character(">"), .character(">"), .character(">"), .character(">"))
        #expect(s.sortColumn == .memory)
        #expect(s.rows.map(\.name) == ["a", "c", "b"])
        press(&s, .character("I"))
        #expect(s.rows.map(\.name) == ["b", "c", "a"])
        #expect(screenText(s).contains("MEM↓"))
        press(&s, .character("<"))
        #expect(s.sortColumn == .cpus)
        #expect(s.status?.text.contains("sorted by CPUS") == true)
    }

    @Test func sortByStateAndCPU() {
        var s = makeState([makeInstance("x", state: .exited, exitCode: 0), makeInstance("y", cpu: 5), makeInstance("z", cpu: 50)])
        s.sortColumn = .cpuPercent; s.sortAscending = false
        Reducer.recomputeRows(&s)
        #expect(s.rows.map(\.name) == ["z", "y", "x"])
        s.sortColumn = .state; s.sortAscending = true
        Reducer.recomputeRows(&s)
        #expect(s.rows.last?.name == "x")
    }

    @Test func filterTypingEnterKeepsEscClears() {
        var s = makeState([makeInstance("web-1"), makeInstance("web-2"), makeInstance("db-1")])
        press(&s, .character("/"))
        type(&s, "web")
        #expect(s.rows.map(\.name) == ["web-1", "web-2"])
        #expect(screenText(s).contains("filter: /web_"))
        press(&s, .enter)
        #expect(s.prompt == nil)
        #expect(s.instanceFilter == "web")
        #expect(screenText(s).contains("filter: /web"))
        press(&s, .escape)
        #expect(s.instanceFilter == "")
        #expect(s.rows.count == 3)
        // Esc while typing restores the previous filter.
        press(&s, .character("/"))
        type(&s, "db")
        #expect(s.rows.map(\.name) == ["db-1"])
        press(&s, .escape)
        #expect(s.rows.count == 3)
    }

    @Test func filterWithNoMatchesSaysSo() {
        var s = makeState(three)
        press(&s, .character("/"))
        type(&s, "zzz")
        #expect(s.selectedID == nil)
        #expect(screenText(s).contains("no instance matches /zzz"))
    }

    @Test func viewsSwitchWithNumbersAndTab() {
        var s = makeState(three)
        press(&s, .character("2"))
        #expect(s.screen == .images)
        press(&s, .character("1"))
        #expect(s.screen == .instances)
        press(&s, .tab)
        #expect(s.focus == .console)
        press(&s, .tab)
        #expect(s.focus == .list)
        press(&s, .enter)
        #expect(s.screen == .console)
        press(&s, .escape)
        #expect(s.screen == .instances)
        press(&s, .character("i"))
        #expect(s.screen == .details)
        press(&s, .escape)
        #expect(s.screen == .instances)
        press(&s, .character("?"))
        #expect(s.showHelp)
        press(&s, .escape)
        #expect(!s.showHelp)
    }

    @Test func quitEmitsQuitOnlyAndNeverStopsGuests() {
        var s = makeState(three)
        let effects = press(&s, .character("q"))
        #expect(actions(effects) == [.quit])
        var s2 = makeState(three)
        #expect(actions(press(&s2, .control("c"))) == [.quit])
    }

    @Test func mouseWheelAndClickSelect() {
        var s = makeState(three)
        s.mouseEnabled = true
        _ = reduce(&s, .mouse(MouseEvent(kind: .wheelDown, x: 5, y: 4)))
        #expect(s.selectedID?.name == "bravo")
        _ = reduce(&s, .mouse(MouseEvent(kind: .press, x: 5, y: 5)))  // table header at y=2, rows from y=3
        #expect(s.selectedID?.name == "charlie")
    }
}

@Suite struct TerminalKeyTests {
    @Test func ctrlLRepaintsAndCtrlZSuspends() {
        var s = makeState([makeInstance("a")])
        #expect(press(&s, .control("l")) == [.repaint])
        #expect(press(&s, .control("z")) == [.suspend])
        // In interactive mode they go to the guest.
        press(&s, .character("a"))
        let id = InstanceID(backend: .qemu, host: "local", name: "a")
        #expect(press(&s, .control("l")) == [.sendInput(id, [0x0C])])
        #expect(press(&s, .control("z")) == [.sendInput(id, [0x1A])])
    }

    @Test func backendShowsConnectingUntilLoaded() {
        var s = AppState()
        s.width = 120; s.height = 30
        s.backends = [BackendRef(kind: .libvirt, host: "lab1")]
        #expect(screen(s)[0].contains("libvirt:lab1 ○ connecting"))
        #expect(screen(s)[0].hasSuffix("loading…"))
        _ = reduce(&s, .instancesLoaded(BackendRef(kind: .libvirt, host: "lab1"), []))
        #expect(screen(s)[0].contains("libvirt:lab1 ●"))
        #expect(screen(s)[0].hasSuffix("no instances"))
    }
}
