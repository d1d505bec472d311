import Foundation
import Models

/// When the screen changes by itself: spinner frames and stop countdowns while a visible
/// instance is starting or stopping, and uptime text (``Formatting/duration(_:)``) of the visible
/// running instances. The runtime sleeps until the earliest of these instead of ticking at a
/// fixed rate, so a screen of instances that have been up for minutes wakes once a minute per
/// instance at most, and a screen with nothing time-dependent (images, console) never.
enum ScreenClock {
    /// Spinner frame period while an instance is starting or stopping.
    static let spinnerInterval: TimeInterval = 0.125

    /// The earliest time after `time` at which some visible text differs from the text drawn at
    /// `time`; nil when nothing visible depends on time.
    static func nextChange(_ s: AppState, after time: Date) -> Date? {
        guard !Layout.isTooSmall(width: s.width, height: s.height) else { return nil }
        let shown: [Instance]
        let uptimeShown: Bool
        switch s.screen {
        case .instances:
            shown = visibleInstances(s)
            uptimeShown = InstancesTableView.columns(width: s.width).contains { $0.id == .uptime }
        case .details:
            shown = s.selectedInstance.map { [$0] } ?? []
            uptimeShown = true
        case .images, .console:
            return nil
        }
        var next: Date?
        func consider(_ d: Date) { if next.map({ d < $0 }) ?? true { next = d } }
        for inst in shown {
            if inst.state == .starting || inst.state == .stopping {
                consider(time.addingTimeInterval(spinnerInterval))
            }
            guard uptimeShown, inst.state.isActive, let started = inst.startedAt,
                  let at = Formatting.durationChange(after: time.timeIntervalSince(started)) else { continue }
            consider(started.addingTimeInterval(at))
        }
        return next
    }

    /// The instances in the rows the table shows now.
    static func visibleInstances(_ s: AppState) -> [Instance] {
        let rows = visibleRows(s)
        return rows.compactMap { s.instances[$0] }
    }

    /// The ids of the table rows on screen, top to bottom.
    static func visibleRows(_ s: AppState) -> ArraySlice<InstanceID> {
        let count = Layout.of(s).tableRows
        let lo = min(max(0, s.listTop), s.rows.count)
        return s.rows[lo..<min(s.rows.count, lo + count)]
    }
}
