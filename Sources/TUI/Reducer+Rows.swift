import Foundation
import Models

extension Reducer {
    /// Whether an instance passes the filter (case-insensitive, on name, image, host and state).
    static func matchesFilter(_ inst: Instance, _ filter: String) -> Bool {
        if filter.isEmpty { return true }
        let f = filter.lowercased()
        return inst.name.lowercased().contains(f) || inst.image.lowercased().contains(f)
            || inst.host.lowercased().contains(f) || inst.state.rawValue.contains(f)
    }

    static func stateRank(_ s: InstanceState) -> Int {
        switch s {
        case .running: return 0
        case .starting: return 1
        case .stopping: return 2
        case .paused: return 3
        case .created: return 4
        case .crashed: return 5
        case .exited: return 6
        case .stopped: return 7
        }
    }

    /// Orders two instances by `column` ascending; ties broken by id. `cpu` holds the CPU% the
    /// table shows (``AppState/displayedCPU(_:)``); without it, the last sample counts.
    static func ascending(_ a: Instance, _ b: Instance, _ column: InstanceColumn, cpu: [InstanceID: Double] = [:]) -> Bool {
        func cmp<T: Comparable>(_ x: T, _ y: T) -> Bool? { x == y ? nil : x < y }
        let r: Bool?
        switch column {
        case .name: r = cmp(a.name.lowercased(), b.name.lowercased())
        case .host: r = cmp(a.host, b.host)
        case .image: r = cmp(a.image, b.image)
        case .state: r = cmp(stateRank(a.state), stateRank(b.state))
        case .cpus: r = cmp(a.cpus, b.cpus)
        case .memory: r = cmp(a.memoryMiB, b.memoryMiB)
        case .cpuPercent, .sparkline:
            r = cmp(cpu[a.id] ?? a.stats?.cpuPercent ?? -1, cpu[b.id] ?? b.stats?.cpuPercent ?? -1)
        case .rss: r = cmp(a.stats?.rssBytes ?? 0, b.stats?.rssBytes ?? 0)
        case .uptime:
            // Longer uptime = earlier start; finished instances count as 0.
            let ta = a.state.isActive ? -(a.startedAt?.timeIntervalSince1970 ?? 0) : -Double.greatestFiniteMagnitude
            let tb = b.state.isActive ? -(b.startedAt?.timeIntervalSince1970 ?? 0) : -Double.greatestFiniteMagnitude
            r = cmp(ta, tb)
        case .boot: r = cmp(a.bootMillis ?? .infinity, b.bootMillis ?? .infinity)
        case .ready: r = cmp(a.readyMillis ?? .infinity, b.readyMillis ?? .infinity)
        case .ports: r = cmp(a.ports.first?.hostPort ?? Int.max, b.ports.first?.hostPort ?? Int.max)
        }
        return r ?? (a.id < b.id)
    }

    /// Recomputes the filtered, sorted rows, keeping the selected instance selected when it is
    /// still shown, else keeping the cursor position.
    static func recomputeRows(_ state: inout AppState) {
        let col = state.sortColumn, asc = state.sortAscending, filter = state.instanceFilter
        var cpu: [InstanceID: Double] = [:]
        if col == .cpuPercent || col == .sparkline {
            for inst in state.instances.values { cpu[inst.id] = state.displayedCPU(inst) }
        }
        let host = state.hostFilter
        let list = state.instances.values.filter { (host == nil || $0.host == host) && matchesFilter($0, filter) }
            .sorted { asc ? ascending($0, $1, col, cpu: cpu) : ascending($1, $0, col, cpu: cpu) }
        state.rows = list.map(\.id)
        if let sel = state.selectedID, let i = state.rows.firstIndex(of: sel) {
            state.cursor = i
        } else {
            state.cursor = state.rows.isEmpty ? 0 : min(max(0, state.cursor), state.rows.count - 1)
            state.selectedID = state.rows.isEmpty ? nil : state.rows[state.cursor]
        }
        ensureListVisible(&state)
    }

    static func recomputeImageRows(_ state: inout AppState) {
        let f = state.imageFilter.lowercased()
        let selectedPath = state.selectedImage?.path
        let host = state.hostFilter
        state.imageRows = state.images.indices.filter { i in
            (host == nil || (state.images[i].host ?? HostLabel.local) == host) && (f.isEmpty || state.images[i].name.lowercased().contains(f) || state.images[i].path.lowercased().contains(f))
        }.sorted { state.images[$0].name.lowercased() < state.images[$1].name.lowercased() }
        if let p = selectedPath, let i = state.imageRows.firstIndex(where: { state.images[$0].path == p }) {
            state.imageCursor = i
        }
        state.imageCursor = state.imageRows.isEmpty ? 0 : min(max(0, state.imageCursor), state.imageRows.count - 1)
        ensureListVisible(&state)
    }

    /// Moves the instance cursor to `index` (clamped) and selects that row.
    static func moveCursor(_ state: inout AppState, to index: Int) {
        guard !state.rows.isEmpty else { state.cursor = 0; state.selectedID = nil; return }
        state.cursor = min(max(0, index), state.rows.count - 1)
        state.selectedID = state.rows[state.cursor]
        ensureListVisible(&state)
    }

    static func moveImageCursor(_ state: inout AppState, to index: Int) {
        guard !state.imageRows.isEmpty else { state.imageCursor = 0; return }
        state.imageCursor = min(max(0, index), state.imageRows.count - 1)
        ensureListVisible(&state)
    }

    /// Scrolls the tables so their cursors are visible.
    static func ensureListVisible(_ state: inout AppState) {
        let saved = state.screen
        state.screen = .instances
        let rowsVisible = max(1, Layout.of(state).tableRows)
        state.screen = .images
        let imageRowsVisible = max(1, Layout.of(state).tableRows)
        state.screen = saved
        state.listTop = clampTop(state.listTop, cursor: state.cursor, visible: rowsVisible, count: state.rows.count)
        state.imageTop = clampTop(state.imageTop, cursor: state.imageCursor, visible: imageRowsVisible, count: state.imageRows.count)
    }

    static func clampTop(_ top: Int, cursor: Int, visible: Int, count: Int) -> Int {
        var t = top
        if cursor < t { t = cursor }
        if cursor >= t + visible { t = cursor - visible + 1 }
        t = min(t, max(0, count - visible))
        return max(0, t)
    }

    /// `H`: every host, then each host in header order, then every host again (k9s's contexts).
    static func cycleHost(_ state: inout AppState) {
        var hosts: [String] = []
        for b in state.backends where !hosts.contains(b.host) { hosts.append(b.host) }
        guard hosts.count > 1 || state.hostFilter != nil else {
            setMessage(&state, "only one host: \(hosts.first ?? HostLabel.local)", error: false)
            return
        }
        if let current = state.hostFilter, let i = hosts.firstIndex(of: current) {
            state.hostFilter = i + 1 < hosts.count ? hosts[i + 1] : nil
        } else {
            state.hostFilter = hosts.first
        }
        recomputeRows(&state)
        recomputeImageRows(&state)
        setMessage(&state, state.hostFilter.map { "host \($0) only (H: next host)" } ?? "every host", error: false)
    }

    /// Moves the sort column (`<`/`>`) and re-sorts.
    static func cycleSort(_ state: inout AppState, by delta: Int) {
        let cols = InstanceColumn.sortable
        let i = cols.firstIndex(of: state.sortColumn) ?? 0
        state.sortColumn = cols[(i + delta + cols.count) % cols.count]
        recomputeRows(&state)
        setMessage(&state, "sorted by \(state.sortColumn.title) \(state.sortAscending ? "ascending" : "descending")", error: false)
    }
}
