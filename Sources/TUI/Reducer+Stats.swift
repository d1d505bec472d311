import Foundation
import Models

extension Reducer {
    /// Applies the statistics of one sampling tick; returns whether anything on screen changed.
    /// A batch that only moves numbers nobody sees (another screen, rows scrolled away, an idle
    /// guest whose CPU% still reads 0.0 and whose sparkline stays flat) asks for no frame.
    static func applyStats(_ state: inout AppState, _ batch: [InstanceID: InstanceStats]) -> Bool {
        let before = statsOnScreen(state)
        var applied = false
        for (id, s) in batch where state.instances[id] != nil {
            state.instances[id]?.stats = s
            state.stats[id, default: StatsHistory()].add(s.cpuPercent)
            applied = true
        }
        guard applied else { return false }
        if [.cpuPercent, .sparkline, .rss].contains(state.sortColumn) { recomputeRows(&state) }
        let after = statsOnScreen(state)
        return before != after
    }

    /// What of the statistics the current screen shows: the visible rows (their order may depend
    /// on statistics) and the text of every statistics cell on screen.
    struct StatsOnScreen: Equatable {
        var rows: [InstanceID] = []
        var cursor = 0
        var text: [String] = []
    }

    static func statsOnScreen(_ s: AppState) -> StatsOnScreen {
        var out = StatsOnScreen()
        guard !Layout.isTooSmall(width: s.width, height: s.height) else { return out }
        switch s.screen {
        case .instances:
            out.rows = Array(ScreenClock.visibleRows(s))
            out.cursor = s.cursor
            let cols = InstancesTableView.columns(s).filter { [.cpuPercent, .sparkline, .rss].contains($0.id) }
            for id in out.rows {
                guard let inst = s.instances[id] else { continue }
                for c in cols { out.text.append(InstancesTableView.cell(inst, c, s).0) }
            }
        case .details:
            guard !s.detailsShowImage, let inst = s.selectedInstance else { return out }
            out.text = DetailsView.statsFields(inst, s).map(\.1)
        case .images, .console:
            break
        }
        return out
    }
}
