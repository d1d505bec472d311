import Foundation
import Models
import Testing
@testable import TUI

/// The screen stays still when nothing visible changes: uptime text changes at its own
/// resolution, and statistics that read the same ask for no frame.
@Suite struct IdleTests {
    let id = InstanceID(backend: .qemu, host: "local", name: "q")

    @Test func uptimeIsSecondsFirstThenMinutesThenHours() {
        #expect(Formatting.duration(0) == "0s")
        #expect(Formatting.duration(45) == "45s")
        #expect(Formatting.duration(60) == "1m00s")
        #expect(Formatting.duration(90) == "1m30s")
        #expect(Formatting.duration(300) == "5m")
        #expect(Formatting.duration(2 * 3600 + 13 * 60 + 59) == "2h13m")
        #expect(Formatting.duration(3 * 86400 + 4 * 3600 + 3599) == "3d04h")
    }

    @Test func uptimeTextChangesExactlyWhereTheNextChangeSaysSo() {
        for start in [0.0, 0.4, 59.2, 119.7, 120, 121.3, 3599.9, 3600, 86_399.5, 86_400, 200_000.25] {
            guard let next = Formatting.durationChange(after: start) else { Issue.record("nil at \(start)"); continue }
            #expect(next > start)
            #expect(Formatting.duration(next - 0.001) == Formatting.duration(start), "steady before \(next) from \(start)")
            #expect(Formatting.duration(next) != Formatting.duration(start), "changes at \(next) from \(start)")
        }
        #expect(Formatting.durationChange(after: .infinity) == nil)
        #expect(Formatting.durationChange(after: -3) == 1)
    }

    @Test func uptimePastTheSecondsRangeWakesAtTheMinuteNotEverySecond() {
        // Three instances up 5m00.3s, 17m00.1s and 2h04m00.05s: their cells change 59.7, 59.9 and
        // 59.95 s from now, drawn together at the last; nothing may ask for a wake-up a second away.
        let s = makeState([
            makeInstance("a", startedAt: t0.addingTimeInterval(-300.3)),
            makeInstance("b", startedAt: t0.addingTimeInterval(-(17 * 60 + 0.1))),
            makeInstance("c", startedAt: t0.addingTimeInterval(-(2 * 3600 + 4 * 60 + 0.05))),
        ], width: 200)
        let next = try! #require(s.nextTimeChange(after: t0))
        #expect(abs(next.timeIntervalSince(t0) - 59.95) < 0.001, "\(next.timeIntervalSince(t0))")
        #expect(next.timeIntervalSince(t0) > 1)
    }

    @Test func youngInstancesShareOneFrameASecond() {
        // Twenty instances up 10 s plus twentieths of a second: one wake-up a second, at the
        // last of them, not one per instance.
        let list = (0..<20).map { makeInstance("y\($0)", startedAt: t0.addingTimeInterval(-10 - Double($0) * 0.05)) }
        let s = makeState(list, width: 200, height: 40)
        let next = try! #require(s.nextTimeChange(after: t0))
        #expect(abs(next.timeIntervalSince(t0) - 1) < 0.001, "\(next.timeIntervalSince(t0))")
        let after = try! #require(s.nextTimeChange(after: next))
        #expect(abs(after.timeIntervalSince(next) - 1) < 0.001)
    }

    @Test func youngInstancesTickEverySecondAndSpinnersFaster() {
        var s = makeState([makeInstance("young", startedAt: t0.addingTimeInterval(-10.25))], width: 200)
        #expect(s.nextTimeChange(after: t0) == t0.addingTimeInterval(0.75))
        _ = reduce(&s, .backendEvent(.instanceChanged(makeInstance("stp", state: .stopping, stopDeadline: t0.addingTimeInterval(5)))))
        #expect(s.nextTimeChange(after: t0) == t0.addingTimeInterval(ScreenClock.spinnerInterval))
    }

    @Test func onlyVisibleRowsAndColumnsCount() {
        // 40 old instances and one young one scrolled out of a 12-row terminal.
        var list = (0..<40).map { makeInstance(String(format: "old%02d", $0), startedAt: t0.addingTimeInterval(-600)) }
        list.append(makeInstance("zz-young", startedAt: t0.addingTimeInterval(-5)))
        var s = makeState(list, width: 200, height: 12)
        #expect(s.nextTimeChange(after: t0) == t0.addingTimeInterval(60))
        press(&s, .character("G"))
        #expect(s.nextTimeChange(after: t0) == t0.addingTimeInterval(1))
        // The full-screen console shows no uptime: nothing ticks.
        press(&s, .enter)
        #expect(s.screen == .console)
        #expect(s.nextTimeChange(after: t0) == nil)
    }

    @Test func detailsScreenTicksForTheSelectedInstanceOnly() {
        var s = makeState([makeInstance("q", startedAt: t0.addingTimeInterval(-3600.5))], width: 120)
        press(&s, .character("i"))
        #expect(s.screen == .details)
        #expect(s.nextTimeChange(after: t0) == t0.addingTimeInterval(59.5))
    }

    func batch(_ cpu: Double, rss: UInt64 = 40 << 20) -> Action {
        .backendEvent(.statsBatch([id: InstanceStats(cpuPercent: cpu, rssBytes: rss)]))
    }

    @Test func statsThatReadTheSameDoNotChangeTheScreen() {
        var s = makeState([makeInstance("q", startedAt: t0.addingTimeInterval(-600))], width: 200)
        // Fill the sparkline so it no longer grows.
        for _ in 0..<StatsHistory.capacity { _ = reduce(&s, batch(0)) }
        let frame = screen(s)
        let revision = s.revision
        // An idle QEMU: 0 or 1 clock tick per second (0.0% / 1.0%), RSS steady.
        for cpu in [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0] {
            _ = reduce(&s, batch(cpu))
            #expect(s.revision == revision, "a batch of \(cpu)% asked for a frame")
        }
        #expect(screen(s) == frame)
        // A real change does.
        _ = reduce(&s, batch(0, rss: 80 << 20))
        #expect(s.revision != revision)
        #expect(screen(s) != frame)
    }

    @Test func statsChangesOffScreenDoNotChangeTheScreen() {
        var s = makeState([makeInstance("q", startedAt: t0.addingTimeInterval(-600))], width: 200)
        press(&s, .character("2"))
        let revision = s.revision
        for cpu in [10.0, 50, 90] { _ = reduce(&s, batch(cpu)) }
        #expect(s.revision == revision)
        #expect(s.stats[id]?.samples == [10, 50, 90])
        press(&s, .character("1"))
        #expect(screenText(s).contains("50.0"))
    }

    @Test func busyInstancesStillRedraw() {
        var s = makeState([makeInstance("q", startedAt: t0.addingTimeInterval(-600))], width: 200)
        for _ in 0..<StatsHistory.capacity { _ = reduce(&s, batch(0)) }
        var revision = s.revision
        for cpu in [40.0, 80, 20] {
            _ = reduce(&s, batch(cpu))
            #expect(s.revision != revision)
            revision = s.revision
        }
    }

    @Test func cpuCellShowsAFiveSecondMeanAndHidesTickNoise() {
        var s = makeState([makeInstance("q", cpu: 0)], width: 200)
        for cpu in [1.0, 0, 0, 0, 0] { _ = reduce(&s, batch(cpu)) }
        #expect(s.displayedCPU(s.instances[id]!) == 0.2)
        #expect(Formatting.cpuPercent(0.2) == "0.0")
        #expect(Formatting.cpuPercent(0.5) == "0.5")
        #expect(Formatting.cpuPercent(3.14) == "3.1")
        for cpu in [3.0, 3, 4, 3, 3] { _ = reduce(&s, batch(cpu)) }
        let row = screen(s).first { $0.hasPrefix(" q ") } ?? ""
        #expect(row.contains(" 3.2 "), "\(row)")
    }
}
