import Foundation
import Models
import Testing
@testable import TUI

@Suite struct ConsoleViewTests {
    let id = InstanceID(backend: .qemu, host: "local", name: "web-1")

    func consoleState(lines: Int, capacity: Int = 10_000, height: Int = 30) -> AppState {
        var s = makeState([makeInstance("web-1")], height: height)
        s.scrollbackLines = capacity
        s.consoles = [:]
        s.openConsoles = []
        _ = reduce(&s, .tick(t0))  // opens the console
        var text = ""
        for i in 0..<lines { text += "line \(i)\n" }
        _ = reduce(&s, .consoleData(id, Array(text.utf8)))
        return s
    }

    @Test func selectingAnInstanceOpensItsConsoleWithHistory() {
        var s = makeState([makeInstance("web-1"), makeInstance("web-2")])
        let effects = press(&s, .character("j"))
        #expect(effects.contains(.openConsole(InstanceID(backend: .qemu, host: "local", name: "web-2"), history: .tail(bytes: 1_600_000))))
    }

    @Test func paneShowsNewestLinesWhenFollowing() {
        let s = consoleState(lines: 100)
        let text = screenText(s)
        #expect(text.contains("console: web-1 ─ following ─ 100 lines"))
        #expect(text.contains("line 99"))
        #expect(!text.contains("line 50\n"))
    }

    @Test func scrollingUpStopsFollowingAndEndFollowsAgain() throws {
        var s = consoleState(lines: 100)
        press(&s, .tab)  // focus console
        press(&s, .character("k"))
        let c = try #require(s.consoles[id])
        #expect(!c.follow)
        #expect(screenText(s).contains("─ paused at 76/100 ─"))
        let before = screen(s)
        // New output does not move a paused view.
        _ = reduce(&s, .consoleData(id, Array("new line\n".utf8)))
        #expect(screen(s).dropFirst(5).dropLast() == before.dropFirst(5).dropLast())
        #expect(!screenText(s).contains("new line"))
        press(&s, .character("G"))
        #expect(s.consoles[id]?.follow == true)
        #expect(screenText(s).contains("new line"))
        // Scrolling down to the bottom follows again.
        press(&s, .character("k"), .character("j"))
        #expect(s.consoles[id]?.follow == true)
        press(&s, .character("f"))
        #expect(s.consoles[id]?.follow == false)
        press(&s, .character("f"))
        #expect(s.consoles[id]?.follow == true)
    }

    @Test func pausedViewStableUnderEviction() throws {
        var s = consoleState(lines: 50, capacity: 50)
        press(&s, .tab, .character("g"))
        #expect(s.consoles[id]?.topLine == 0)
        press(&s, .character("j"), .character("j"))
        #expect(s.consoles[id]?.topLine == 2)
        _ = reduce(&s, .consoleData(id, Array("more\n".utf8)))  // evicts line 0
        #expect(s.consoles[id]?.topLine == 2)
        #expect(screenText(s).contains("line 2"))
        let consoleFirstRow = try #require(screen(s).first { $0.hasPrefix("line ") })
        #expect(consoleFirstRow == "line 2")
        // Evicted past the top: the view clamps to the oldest kept line.
        var more = ""
        for i in 0..<10 { more += "extra \(i)\n" }
        _ = reduce(&s, .consoleData(id, Array(more.utf8)))
        #expect(screen(s).first { $0.hasPrefix("line ") } == "line 11")
    }

    @Test func searchCountsHighlightsAndNavigates() throws {
        var s = consoleState(lines: 0)
        _ = reduce(&s, .consoleData(id, Array("boot\nerror: one\nok\nerror: two\nok\n".utf8)))
        press(&s, .tab, .character("/"))
        type(&s, "error")
        #expect(screenText(s).contains("/error_"))
        press(&s, .enter)
        #expect(screenText(s).contains("/error (2 matches)"))
        // Enter from follow mode jumps to the newest match.
        #expect(s.consoles[id]?.currentMatch == 3)
        press(&s, .character("N"))
        #expect(s.consoles[id]?.currentMatch == 1)
        press(&s, .character("n"))
        #expect(s.consoles[id]?.currentMatch == 3)
        press(&s, .character("n"))  // wraps
        #expect(s.consoles[id]?.currentMatch == 1)
        // Highlight: the matched cells use the search styles.
        let grid = Renderer.render(s)
        let layout = Layout.of(s)
        let row = try #require((layout.consoleY..<layout.consoleY + layout.consoleHeight).first { grid.line($0).hasPrefix("error: one") })
        #expect(grid[0, row].style == s.theme[.currentMatch])
        #expect(grid[4, row].style == s.theme[.currentMatch])
        #expect(grid[5, row].style != s.theme[.currentMatch])
        let row2 = try #require((layout.consoleY..<layout.consoleY + layout.consoleHeight).first { grid.line($0).hasPrefix("error: two") })
        #expect(grid[0, row2].style == s.theme[.searchMatch])
        // Esc clears the search.
        press(&s, .escape)
        #expect(s.consoles[id]?.search == "")
        #expect(!screenText(s).contains("matches"))
    }

    @Test func searchNotFoundMessage() {
        var s = consoleState(lines: 5)
        press(&s, .tab, .character("/"))
        type(&s, "nothing")
        press(&s, .enter)
        #expect(s.status?.text == "pattern not found: nothing")
    }

    @Test func wrapToggle() {
        var s = consoleState(lines: 0, height: 20)
        let long = String(repeating: "a", count: 100) + "TAIL"
        _ = reduce(&s, .consoleData(id, Array((long + "\n").utf8)))
        s.width = 60
        #expect(!screenText(s).contains("TAIL"))
        press(&s, .tab, .character("w"))
        #expect(s.wrap)
        let text = screenText(s)
        #expect(text.contains("TAIL"))
        #expect(text.contains("─ wrap"))
        press(&s, .character("w"))
        #expect(!screenText(s).contains("TAIL"))
    }

    @Test func fullScreenConsoleAndGuestColours() throws {
        var s = consoleState(lines: 0)
        _ = reduce(&s, .consoleData(id, Array("\u{1B}[32mgreen\u{1B}[0m plain\n".utf8)))
        press(&s, .character("l"))
        #expect(s.screen == .console)
        let grid = Renderer.render(s)
        #expect(grid.line(0).contains("console: web-1"))
        #expect(grid.line(1).hasPrefix("green plain"))
        #expect(grid[0, 1].style.foreground == .indexed(2))
        #expect(grid[6, 1].style.foreground == s.theme[.consoleText].foreground)
        s.colorsEnabled = false
        #expect(Renderer.render(s)[0, 1].style.foreground == .default)
    }

    @Test func consoleEndedAndReopenOnRestartUnderSameName() {
        var s = consoleState(lines: 3)
        _ = reduce(&s, .backendEvent(.instanceChanged(makeInstance("web-1", state: .exited, exitCode: 0))))
        _ = reduce(&s, .consoleEnded(id, error: nil))
        #expect(screenText(s).contains("ended"))
        let effects = reduce(&s, .backendEvent(.instanceChanged(makeInstance("web-1", state: .running))))
        #expect(effects.contains(.closeConsole(id)))
        #expect(effects.contains { if case .openConsole(id, _) = $0 { return true }; return false })
    }

    @Test func openConsolesAreBounded() {
        let many = (0..<20).map { makeInstance(String(format: "vm-%02d", $0)) }
        var s = makeState(many)
        var closed = 0
        for _ in 0..<19 { closed += press(&s, .character("j")).filter { if case .closeConsole = $0 { return true }; return false }.count }
        #expect(s.consoles.count == AppState.maxOpenConsoles)
        #expect(closed == 20 - AppState.maxOpenConsoles)
    }
}
