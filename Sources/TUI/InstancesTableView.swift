import Foundation
import Models

/// The instances table: one row per (filtered, sorted) instance; only visible rows are drawn.
enum InstancesTableView {
    struct Column { var id: InstanceColumn; var width: Int; var rightAligned: Bool }

    static let specs: [(InstanceColumn, min: Int, priority: Int, right: Bool)] = [
        (.name, 12, 100, false), (.host, 8, 40, false), (.image, 14, 60, false), (.state, 14, 100, false),
        (.cpus, 4, 30, true), (.memory, 6, 35, true), (.cpuPercent, 6, 70, true), (.sparkline, 12, 50, false),
        (.rss, 6, 55, true), (.uptime, 8, 80, true), (.boot, 7, 45, true), (.ready, 7, 42, true), (.ports, 12, 58, false),
    ]

    /// The columns for the state's width; PORTS and READY only while some instance publishes a port.
    static func columns(_ s: AppState) -> [Column] { columns(width: s.width, showsPorts: showsPorts(s)) }

    /// Some instance publishes a port.
    static func showsPorts(_ s: AppState) -> Bool { s.instances.values.contains { !$0.ports.isEmpty } }

    /// Column widths for a terminal `width` wide: low-priority columns go first when narrow;
    /// NAME, IMAGE and STATE (and PORTS when `showsPorts`) share spare room. Without published
    /// ports anywhere (`showsPorts` false) there is no PORTS or READY column: two columns of
    /// dashes would only take STATE's room.
    static func columns(width: Int, showsPorts: Bool = true) -> [Column] {
        var chosen = showsPorts ? specs : specs.filter { $0.0 != .ports && $0.0 != .ready }
        func total(_ c: [(InstanceColumn, min: Int, priority: Int, right: Bool)]) -> Int { c.reduce(1) { $0 + $1.min + 1 } }
        while total(chosen) > width, chosen.count > 1,
              let drop = chosen.enumerated().min(by: { $0.element.priority < $1.element.priority })?.offset {
            chosen.remove(at: drop)
        }
        var cols = chosen.map { Column(id: $0.0, width: $0.min, rightAligned: $0.right) }
        var spare = max(0, width - total(chosen))
        var shares: [(InstanceColumn, Int, Int)] = [(.name, 30, 20), (.image, 30, 24), (.state, 40, 30)]
        if showsPorts { shares.insert((.ports, 20, 14), at: 2) }
        let base = spare
        for (id, pct, cap) in shares {
            guard let i = cols.firstIndex(where: { $0.id == id }) else { continue }
            let add = min(cap, base * pct / 100, spare)
            cols[i].width += add; spare -= add
        }
        if let i = cols.firstIndex(where: { $0.id == .state }) { cols[i].width += spare }
        return cols
    }

    static func draw(_ grid: inout Grid, _ s: AppState, _ layout: Layout) {
        let t = s.theme
        let cols = columns(width: grid.width, showsPorts: showsPorts(s))
        var x = 1
        let y0 = layout.tableY
        grid.fill(x: 0, y: y0, width: grid.width, height: 1, style: t[.tableHeader])
        for c in cols {
            var title = c.id.title
            if c.id == s.sortColumn {
                title += s.sortAscending ? (s.capabilities.unicode ? "↑" : "^") : (s.capabilities.unicode ? "↓" : "v")
            }
            if c.id == .sparkline { title = "CPU " + String(s.symbols.sparks.prefix(5)) }
            let text = c.rightAligned ? title.leftPadded(to: c.width) : title.padded(to: c.width)
            grid.put(text, x: x, y: y0, style: t[.tableHeader], maxWidth: c.width)
            x += c.width + 1
        }
        if s.rows.isEmpty {
            let msg: String
            if !s.instanceFilter.isEmpty { msg = "no instance matches /\(s.instanceFilter) (Esc clears)" }
            else if s.instancesLoaded.isEmpty && !s.backends.isEmpty { msg = "loading instances…" }
            else { msg = s.readonly ? "no instances" : "no instances: press 2, pick an image and press s" }
            if layout.tableHeight > 1 { grid.put(" " + msg, x: 0, y: y0 + 1, style: t[.dim]) }
            return
        }
        let visible = layout.tableRows
        for r in 0..<visible {
            let index = s.listTop + r
            guard index < s.rows.count, let inst = s.instances[s.rows[index]] else { break }
            let y = y0 + 1 + r
            let selected = index == s.cursor
            let rowStyle: Style? = selected ? (s.focus == .list || s.screen != .instances ? t[.selection] : t[.selectionUnfocused]) : nil
            if let rowStyle { grid.fill(x: 0, y: y, width: grid.width, height: 1, style: rowStyle) }
            var cx = 1
            for c in cols {
                let (text, role) = cell(inst, c, s)
                let style = rowStyle ?? (role.map { t[$0] } ?? Style())
                let out = c.rightAligned ? text.leftPadded(to: c.width, ellipsis: s.symbols.ellipsis) : text.truncated(to: c.width, ellipsis: s.symbols.ellipsis)
                grid.put(out, x: cx, y: y, style: style, maxWidth: c.width)
                cx += c.width + 1
            }
        }
    }

    static func stateRole(_ inst: Instance) -> ThemeRole {
        switch inst.state {
        case .running: return .stateRunning
        case .paused: return .statePaused
        case .starting, .stopping: return .stateStopping
        case .exited: return (inst.exitCode ?? 0) == 0 ? .stateExited : .stateCrashed
        case .stopped: return .stateExited
        case .crashed: return .stateCrashed
        case .created: return .stateOther
        }
    }

    /// The state cell: symbol (spinner while starting/stopping), state, countdown or exit code/reason.
    static func stateText(_ inst: Instance, _ s: AppState) -> String {
        let sym = s.symbols
        switch inst.state {
        case .starting, .stopping:
            let frame = sym.spinner[s.tick % sym.spinner.count]
            var text = "\(frame) \(inst.state.rawValue)"
            if inst.state == .stopping, let deadline = inst.stopDeadline {
                text += " \(Int(max(0, deadline.timeIntervalSince(s.now)).rounded(.up)))s"
            }
            return text
        case .exited:
            let code = inst.exitCode
            let symbol = (code ?? 0) == 0 ? sym.exited : sym.crashed
            var text = "\(symbol) exited"
            if let code { text += " \(code)" } else if CapabilityGap.exitCode(inst, s.capabilities(of: inst)) {
                text += ", code " + CapabilityGap.short  // the details say which backend
            }
            if let r = inst.exitReason, !r.isEmpty, (code ?? 0) != 0 { text += ": \(r)" }
            return text
        case .crashed:
            return "\(sym.crashed) crashed" + (inst.exitReason.map { ": \($0)" } ?? "")
        case .stopped:
            // Backends word their reasons "stopped (ACPI powerdown)": don't say "stopped: stopped (…)".
            guard let r = inst.exitReason, !r.isEmpty else { return "\(sym.exited) stopped" }
            return "\(sym.exited) " + (r.hasPrefix("stopped") ? r : "stopped: \(r)")
        default:
            return "\(sym.symbol(for: inst.state)) \(inst.state.rawValue)"
        }
    }

    static func cell(_ inst: Instance, _ c: Column, _ s: AppState) -> (String, ThemeRole?) {
        let dash = s.symbols.emDash
        switch c.id {
        case .name: return (inst.name, nil)
        case .host: return (inst.host, .dim)
        case .image: return (inst.image.split(separator: "/").last.map(String.init) ?? inst.image, nil)
        case .state: return (stateText(inst, s), stateRole(inst))
        case .cpus: return ("\(inst.cpus)", nil)
        case .memory: return ("\(inst.memoryMiB)M", nil)
        case .cpuPercent:
            guard inst.state.isActive, let cpu = s.displayedCPU(inst) else { return ("", nil) }
            return (Formatting.cpuPercent(cpu), nil)
        case .sparkline:
            guard inst.state.isActive, let h = s.stats[inst.id] else { return ("", nil) }
            return (Formatting.sparkline(h.samples, width: c.width, sparks: s.symbols.sparks), .sparkline)
        case .rss:
            guard inst.state.isActive, let rss = inst.stats?.rssBytes else { return ("", nil) }
            return (Formatting.bytes(rss), nil)
        case .uptime:
            guard inst.state.isActive, let started = inst.startedAt else { return (dash, .dim) }
            return (Formatting.duration(s.now.timeIntervalSince(started)), nil)
        case .boot:
            if CapabilityGap.bootTime(inst, s.capabilities(of: inst)) { return (CapabilityGap.short, .dim) }
            guard let b = inst.bootMillis else { return (dash, .dim) }
            return (Formatting.millis(b), nil)
        case .ready:
            guard let r = inst.readyMillis else { return (dash, .dim) }
            return (Formatting.millis(r), nil)
        case .ports:
            guard !inst.ports.isEmpty else { return (dash, .dim) }
            return (PortMapping.listDescription(inst.ports, maxWidth: c.width, arrow: s.symbols.arrow), nil)
        }
    }
}
