import Foundation
import Models

/// When the screen changes by itself: spinner frames and stop countdowns while a visible
/// instance is starting or stopping, and uptime text (``Formatting/duration(_:)``) of the visible
/// running instances. The runtime sleeps until the next of these instead of ticking at a fixed
/// rate, so a screen of instances that have been up for minutes wakes about once a minute per
/// instance at most, and a screen with nothing time-dependent (images, console) never.
///
/// Uptime changes up to ``uptimeSlack`` after the earliest one are drawn together with it (each
/// row's seconds roll over at its own fraction of a second): no uptime is shown more than that
/// late, and twenty young instances cost one frame a second, not twenty.
enum ScreenClock {
    /// Spinner frame period while an instance is starting or stopping.
    static let spinnerInterval: TimeInterval = 0.125
    /// How late an uptime cell may be drawn so that nearby changes share a frame.
    static let uptimeSlack: TimeInterval = 1

    /// When to draw next, given the screen was drawn at `time`: the next spinner frame, or the
    /// latest uptime change within ``uptimeSlack`` of the earliest one after `time`. Nil when
    /// nothing visible depends on time.
    static func nextChange(_ s: AppState, after time: Date) -> Date? {
        guard !Layout.isTooSmall(width: s.width, height: s.height) else { return nil }
        let shown: [Instance]
        let uptimeShown: Bool
        switch s.screen {
        case .instances:
            shown = visibleInstances(s)
            uptimeShown = InstancesTableView.columns(s).contains { $0.id == .uptime }
        case .details:
            if s.detailsShowImage { return nil }
            shown = s.selectedInstance.map { [$0] } ?? []
            uptimeShown = true
        case .images, .console:
            return nil
        }
        var spinner: Date?
        var uptimeChanges: [Date] = []
        for inst in shown {
            if inst.state == .starting || inst.state == .stopping {
                spinner = time.addingTimeInterval(spinnerInterval)
            }
            guard uptimeShown, inst.state.isActive, let started = inst.startedAt,
                  let at = Formatting.durationChange(after: time.timeIntervalSince(started)) else { continue }
            uptimeChanges.append(started.addingTimeInterval(at))
        }
        var uptime: Date?
        if let first = uptimeChanges.min() {
            let limit = first.addingTimeInterval(uptimeSlack)
            uptime = uptimeChanges.filter { $0 < limit }.max()
        }
        switch (spinner, uptime) {
        case let (s?, u?): return min(s, u)
        case let (s?, nil): return s
        case let (nil, u?): return u
        case (nil, nil): return nil
        }
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
