import Foundation
import Models
import Testing
@testable import TUI

@Suite struct RenderTests {
    @Test func headerCountsAndBackends() {
        var s = makeState([
            makeInstance("a"), makeInstance("b"), makeInstance("c"), makeInstance("d"),
            makeInstance("e", state: .paused), makeInstance("f", state: .exited, exitCode: 0), makeInstance("g", state: .exited, exitCode: 1),
        ], width: 140)
        s.backends.append(BackendRef(kind: .libvirt, host: "lab1"))
        _ = reduce(&s, .backendEvent(.connection(backend: .libvirt, host: "lab1", .disconnected(message: "reconnecting"))))
        let header = screen(s)[0]
        #expect(header.hasPrefix(" unitop "))
        #expect(header.contains("qemu:local ●"))
        #expect(header.contains("libvirt:lab1 ○ reconnecting"))
        #expect(header.hasSuffix("4 running · 1 paused · 2 exited"))
    }

    @Test func tableColumnsAndStateSymbols() {
        let s = makeState([
            makeInstance("run", cpu: 3.14, rss: 18 << 20),
            makeInstance("pau", state: .paused),
            makeInstance("ok", state: .exited, exitCode: 0),
            makeInstance("bad", state: .exited, exitCode: 3, exitReason: "isa-debug-exit"),
            makeInstance("boom", state: .crashed, exitReason: "KVM emulation failure"),
            makeInstance("stp", state: .stopping, stopDeadline: t0.addingTimeInterval(6.2)),
            makeInstance("sta", state: .starting, boot: nil),
        ], width: 200)
        let lines = screen(s)
        #expect(lines[1].contains("[1 Instances]"))
        #expect(lines[1].contains("2 Images"))
        let header = lines[2]
        for col in ["NAME", "HOST", "IMAGE", "STATE", "CPUS", "MEM", "CPU%", "RSS", "UP", "BOOT"] {
            #expect(header.contains(col), "missing \(col)")
        }
        func row(_ name: String) -> String { lines.first { $0.hasPrefix(" \(name) ") } ?? "" }
        #expect(row("run").contains("● running"))
        #expect(row("run").contains("3.1"))
        #expect(row("run").contains("18M"))
        #expect(row("run").contains(" 2m "))
        #expect(row("run").contains("41ms"))
        #expect(row("pau").contains("‖ paused"))
        #expect(row("ok").contains("✓ exited 0"))
        #expect(row("bad").contains("✗ exited 3: isa-debug-exit"))
        #expect(row("boom").contains("✗ crashed: KVM emulation failure"))
        #expect(row("stp").contains("stopping 7s"))
        #expect(row("sta").contains("starting"))
        #expect(row("ok").contains("—"))
    }

    @Test func spinnerAdvancesWithTicksAndCountdownWithClock() {
        var s = makeState([makeInstance("stp", state: .stopping, stopDeadline: t0.addingTimeInterval(7))])
        #expect(s.nextTimeChange(after: t0) == t0.addingTimeInterval(0.125))
        let frame1 = screen(s)[3]
        _ = reduce(&s, .tick(t0.addingTimeInterval(3)))
        let frame2 = screen(s)[3]
        #expect(frame1.contains("stopping 7s"))
        #expect(frame2.contains("stopping 4s"))
        #expect(frame1.contains("⠋ stopping"))
        #expect(frame2.contains("⠙ stopping"))
        _ = reduce(&s, .tick(t0.addingTimeInterval(30)))
        #expect(screen(s)[3].contains("stopping 0s"))
    }

    @Test func ticksOnlyWhileTimeMatters() {
        var s = makeState([makeInstance("done", state: .exited, exitCode: 0)])
        #expect(s.nextTimeChange(after: t0) == nil)
        _ = reduce(&s, .backendEvent(.instanceChanged(makeInstance("up", startedAt: t0.addingTimeInterval(-30.4)))))
        #expect(s.nextTimeChange(after: t0) == t0.addingTimeInterval(0.6))
        press(&s, .character("2"))
        #expect(s.nextTimeChange(after: t0) == nil)
    }

    @Test func sparklineFromStats() {
        var s = makeState([makeInstance("run", cpu: 1)], width: 200)
        let id = InstanceID(backend: .qemu, host: "local", name: "run")
        for v in [0.0, 25, 50, 100] { _ = reduce(&s, .backendEvent(.statsBatch([id: InstanceStats(cpuPercent: v, rssBytes: 1 << 20)]))) }
        #expect(s.stats[id]?.samples == [0, 25, 50, 100])
        #expect(screen(s)[3].contains("▁▃▅█"))
        for _ in 0..<100 { _ = reduce(&s, .backendEvent(.statsBatch([id: InstanceStats(cpuPercent: 1, rssBytes: nil)]))) }
        #expect(s.stats[id]?.samples.count == StatsHistory.capacity)
    }

    @Test func statsBatchAppliesEveryInstanceInOneAction() {
        var s = makeState([makeInstance("a", cpu: 1), makeInstance("b", cpu: 1)], width: 200)
        let a = InstanceID(backend: .qemu, host: "local", name: "a")
        let b = InstanceID(backend: .qemu, host: "local", name: "b")
        let gone = InstanceID(backend: .qemu, host: "local", name: "gone")
        _ = reduce(&s, .backendEvent(.statsBatch([
            a: InstanceStats(cpuPercent: 25, rssBytes: 1 << 20),
            b: InstanceStats(cpuPercent: 75, rssBytes: 2 << 20),
            gone: InstanceStats(cpuPercent: 50, rssBytes: nil),
        ])))
        #expect(s.stats[a]?.samples == [25])
        #expect(s.stats[b]?.samples == [75])
        #expect(s.instances[b]?.stats?.rssBytes == 2 << 20)
        #expect(s.stats[gone] == nil)
        #expect(s.instances[gone] == nil)
    }

    @Test func asciiFallback() {
        var s = makeState([
            makeInstance("run"), makeInstance("ok", state: .exited, exitCode: 0), makeInstance("boom", state: .crashed),
            makeInstance("pau", state: .paused),
        ], unicode: false)
        press(&s, .character("G"), .character("K"))
        let lines = screen(s)
        let text = lines.joined(separator: "\n")
        #expect(text.contains("* running"))
        #expect(text.contains("+ exited 0"))
        #expect(text.contains("x crashed"))
        #expect(text.contains("= paused"))
        #expect(text.contains("+--"))
        for line in lines { #expect(line.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII: \(line)") }
    }

    @Test func tooSmallAndTinySizes() {
        var s = makeState([makeInstance("a")])
        _ = reduce(&s, .resize(width: 39, height: 9))
        #expect(screen(s)[0] == "terminal too small: 39x9")
        #expect(actions(press(&s, .character("S"))).isEmpty)
        for (w, h) in [(1, 1), (0, 0), (2, 50), (300, 1), (40, 10), (40, 9), (39, 10), (-5, -5)] {
            _ = reduce(&s, .resize(width: w, height: h))
            let g = Renderer.render(s)
            #expect(g.width == max(0, w) && g.height == max(0, h))
        }
        _ = reduce(&s, .resize(width: 40, height: 10))
        #expect(screen(s)[0].hasPrefix(" unitop"))
        _ = reduce(&s, .resize(width: 120, height: 40))
        #expect(screen(s).count == 40)
        #expect(screen(s)[3].contains("a"))
    }

    @Test func everyScreenAndOverlayRendersAtManySizes() {
        var s = makeState((0..<30).map { makeInstance("vm-\($0)") })
        _ = reduce(&s, .imagesLoaded([makeImage("hello"), makeImage("disk", bootable: false, reason: "no header")]))
        let setups: [(inout AppState) -> Void] = [
            { _ in }, { $0.showHelp = true }, { $0.screen = .images }, { $0.screen = .details }, { $0.screen = .console },
            { _ = press(&$0, .character("S")) }, { $0.screen = .images; _ = press(&$0, .character("s")) },
            { _ = press(&$0, .character("a")) },
        ]
        for setup in setups {
            var v = s
            setup(&v)
            for (w, h) in [(40, 10), (41, 11), (80, 24), (200, 60), (45, 60), (300, 12)] {
                v.width = w; v.height = h
                let g = Renderer.render(v)
                #expect(g.lines.count == h)
                #expect(g.lines.allSatisfy { $0.displayWidth <= w })
            }
        }
    }

    @Test func imagesView() {
        var s = makeState([], width: 140)
        #expect({ var v = s; v.screen = .images; return screenText(v).contains("scanning image directories") }())
        _ = reduce(&s, .imagesLoaded([makeImage("hello"), makeImage("disk", bootable: false, reason: "no multiboot header")]))
        press(&s, .character("2"))
        let lines = screen(s)
        #expect(lines[1].contains("[2 Images]"))
        for col in ["NAME", "FORMAT", "ARCH", "SIZE", "MODIFIED", "BOOTABLE"] { #expect(lines[2].contains(col)) }
        #expect(lines.contains { $0.contains("hello") && $0.contains("multiboot") && $0.contains("x86_64") && $0.contains("12K") && $0.contains("yes") })
        #expect(lines.contains { $0.contains("disk") && $0.contains("no: no multiboot header") })
        press(&s, .character("/"))
        type(&s, "hel")
        press(&s, .enter)
        #expect(!screenText(s).contains("disk"))
        #expect(actions(press(&s, .character("R"))) == [.loadImages])
    }

    @Test func detailsViewShowsEverythingWrapped() {
        var inst = makeInstance("web-1", exitReason: nil)
        inst.commandLine = ["qemu-system-x86_64"] + (0..<40).map { "-arg\($0)" } + ["has space"]
        inst.stateDirectory = "/state/web-1"
        var s = makeState([inst], width: 80, height: 40)
        press(&s, .character("i"))
        let text = screenText(s)
        for k in ["Name", "Backend", "Host", "Image", "State", "PID", "Memory", "CPUs", "Accel", "Machine",
                  "Boot", "State dir", "Command line"] {
            #expect(text.contains(k), "missing \(k)")
        }
        #expect(text.contains("qemu-system-x86_64 -arg0"))
        #expect(text.contains("'has space'"))
        #expect(text.contains("/state/web-1"))
        press(&s, .character("j"))
        #expect(s.detailsTop == 1)
    }

    @Test func helpListsEveryKey() {
        var s = makeState([makeInstance("a")], width: 120, height: 40)
        press(&s, .character("?"))
        // Scroll through the whole help, collecting what it shows.
        var seen = Set<String>()
        for _ in 0..<(KeyMap.bindings.count * 2) {
            for line in screen(s) { seen.insert(line) }
            press(&s, .character("j"))
        }
        let text = seen.joined(separator: "\n")
        for scope in KeyScope.allCases {
            #expect(text.contains(scope.rawValue), "help lacks \(scope)")
            for e in KeyMap.helpEntries(scope) {
                #expect(text.contains(e.keys + " ") && text.contains(e.text), "help lacks \(e.keys): \(e.text)")
            }
        }
    }

    @Test func consolePaneTitleWithoutSelection() {
        let s = makeState([])
        #expect(screenText(s).contains("console: none"))
    }
}

@Suite struct FormattingTests {
    @Test func hostileNumbersDoNotCrash() {
        #expect(Formatting.sparkline([.nan, .infinity, -5, 1e300, 50], width: 5, sparks: Symbols.unicode.sparks).count == 5)
        #expect(Formatting.oneDecimal(.nan) == "-")
        #expect(Formatting.oneDecimal(3.14159) == "3.1")
        #expect(Formatting.duration(.infinity) == "0s")
        #expect(Formatting.duration(59) == "59s")
        #expect(Formatting.duration(90) == "1m30s")
        #expect(Formatting.duration(119.9) == "1m59s")
        #expect(Formatting.duration(120) == "2m")
        #expect(Formatting.duration(125) == "2m")
        #expect(Formatting.duration(3599) == "59m")
        #expect(Formatting.duration(7440) == "2h04m")
        #expect(Formatting.duration(90_000) == "1d01h")
        #expect(Formatting.bytes(18 << 20) == "18M")
        #expect(Formatting.bytes(1536) == "1.5K")
        #expect(Formatting.millis(41.4) == "41ms")
        #expect(Formatting.millis(1500) == "1.5s")
        #expect(Formatting.millis(-1) == "-")
    }
}
