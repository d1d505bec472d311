import Foundation
import Models

/// The header line (program, each host with its connection dot, state and latency, state
/// counts) and the tab line (with the host filter `H` set, when one is).
enum HeaderView {
    static func draw(_ grid: inout Grid, _ s: AppState) {
        let t = s.theme, sym = s.symbols
        grid.fill(x: 0, y: 0, width: grid.width, height: 1, style: t[.header])
        var x = grid.put(" unitop ", x: 0, y: 0, style: t[.headerTitle])
        if s.readonly { x += grid.put("[read-only] ", x: x, y: 0, style: t[.header]) }
        let counts = countsText(s)
        let right = grid.width - counts.displayWidth - 1
        for b in s.backends {
            let status = s.connections[b] ?? (s.instancesLoaded.contains(b) ? .connected : .connecting)
            let (dot, role, extra): (String, ThemeRole, String)
            switch status {
            case .connected: (dot, role, extra) = (sym.connected, .connectionUp, s.latencies[b].map { " " + Formatting.millis($0) } ?? "")
            case .connecting: (dot, role, extra) = (sym.disconnected, .connectionDown, " connecting")
            case .disconnected(let m): (dot, role, extra) = (sym.disconnected, .connectionDown, " " + m)
            }
            let label = " \(b.kind):\(b.host) "
            if x + label.displayWidth + 2 >= right { break }
            x += grid.put(label, x: x, y: 0, style: t[.header])
            var dotStyle = t[role]; dotStyle.background = t[.header].background
            x += grid.put(dot, x: x, y: 0, style: dotStyle)
            if !extra.isEmpty { x += grid.put(extra.truncated(to: max(0, right - x - 1), ellipsis: sym.ellipsis), x: x, y: 0, style: dotStyle) }
        }
        if right > x { grid.put(counts, x: right, y: 0, style: t[.header]) }
    }

    /// "4 running · 1 paused · 2 exited" over all instances (not only filtered ones).
    static func countsText(_ s: AppState) -> String {
        var counts = [Int](repeating: 0, count: 8)
        for inst in s.instances.values { counts[Reducer.stateRank(inst.state)] += 1 }
        let order: [InstanceState] = [.running, .starting, .stopping, .paused, .created, .stopped, .exited, .crashed]
        let parts = order.compactMap { st -> String? in
            let n = counts[Reducer.stateRank(st)]
            return n > 0 ? "\(n) \(st.rawValue)" : nil
        }
        if parts.isEmpty { return s.instancesLoaded.isEmpty && !s.backends.isEmpty ? "loading…" : "no instances" }
        return parts.joined(separator: " \(s.symbols.dot) ")
    }

    static func drawTabs(_ grid: inout Grid, _ s: AppState) {
        let t = s.theme
        var x = 1
        let tabs: [(String, Screen)] = [("1 Instances", .instances), ("2 Images", .images)]
        for (label, screen) in tabs {
            let active = s.screen == screen
            x += grid.put(active ? "[\(label)]" : " \(label) ", x: x, y: 1, style: active ? t[.tabActive] : t[.tabInactive])
            x += 2
        }
        if let host = s.hostFilter {
            x += grid.put("host: \(host)", x: x, y: 1, style: t[.filter]) + 2
        }
        if s.screen == .instances {
            let sortText = "sort: \(s.sortColumn.title)\(s.sortAscending ? "↑" : "↓")"
            let ascii = s.capabilities.unicode ? sortText : sortText.replacingOccurrences(of: "↑", with: "^").replacingOccurrences(of: "↓", with: "v")
            x += grid.put(ascii, x: x, y: 1, style: t[.dim]) + 2
        }
        let filter = s.screen == .images ? s.imageFilter : s.instanceFilter
        let editing = s.prompt?.kind == .filter
        if editing || !filter.isEmpty {
            let text = "filter: /" + (s.prompt?.kind == .filter ? (s.prompt?.text ?? "") : filter) + (editing ? "_" : "")
            let w = min(text.displayWidth, max(0, grid.width - x - 1))
            grid.put(text.truncated(to: w, ellipsis: s.symbols.ellipsis), x: grid.width - w - 1, y: 1, style: t[.filter])
        }
    }
}
