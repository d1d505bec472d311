import Foundation
import Models

/// `i`: everything known about the selected instance, wrapped to the width, scrollable.
enum DetailsView {
    static func fields(_ inst: Instance, _ s: AppState) -> [(String, String)] {
        let dash = s.symbols.emDash
        func opt<T>(_ v: T?) -> String { v.map { "\($0)" } ?? dash }
        let caps = s.capabilities(of: inst)
        /// `v`, else "n/a (libvirt)" when the backend cannot know it, else the dash of "not yet".
        func known<T>(_ v: T?, _ gap: Bool) -> String { v.map { "\($0)" } ?? (gap ? CapabilityGap.text(inst.backend) : dash) }
        var f: [(String, String)] = [
            ("Name", inst.name), ("Backend", inst.backend.rawValue), ("Host", inst.host), ("Image", inst.image.isEmpty ? dash : inst.image),
            ("State", InstancesTableView.stateText(inst, s)), ("Detail", opt(inst.stateDetail)),
            ("PID", known(inst.pid, CapabilityGap.pid(inst, caps))), ("Memory", "\(inst.memoryMiB) MiB"), ("CPUs", "\(inst.cpus)"),
            ("Accel", opt(inst.accel)), ("Machine", opt(inst.machine)), ("Append", inst.append.map { $0.isEmpty ? "(none)" : $0 } ?? dash),
            ("Started", inst.startedAt.map(Formatting.date) ?? dash),
            ("Uptime", inst.state.isActive ? inst.startedAt.map { Formatting.duration(s.now.timeIntervalSince($0)) } ?? dash : dash),
            ("Boot", known(inst.bootMillis.map { Formatting.millis($0) }, CapabilityGap.bootTime(inst, caps))),
            ("Exit code", known(inst.exitCode, CapabilityGap.exitCode(inst, caps))), ("Exit reason", opt(inst.exitReason)),
        ]
        if let note = inst.accelNote { f.insert(("Accel note", note), at: 10) }
        if let boot = f.firstIndex(where: { $0.0 == "Boot" }) { f.insert(("Ready", readyText(inst, s)), at: boot + 1) }
        f += workloadFields(inst, s)
        f += statsFields(inst, s)
        if let uri = inst.hostURI { f.append(("Host URI", uri)) }
        f.append(("State dir", opt(inst.stateDirectory)))
        f.append(("Console log", opt(inst.consoleLogPath)))
        f.append(("Managed", inst.managed ? "yes" : "no (not created by unitop)"))
        let cmd = inst.commandLine.map { $0.map(quote).joined(separator: " ") } ?? dash
        f.append(("Command line", cmd))
        return f
    }

    /// Launch to the first published TCP port answering, or why there is no such figure.
    static func readyText(_ inst: Instance, _ s: AppState) -> String {
        let dash = s.symbols.emDash
        if let r = inst.readyMillis { return Formatting.millis(r) }
        guard let port = ReadinessSchedule.probedPort(inst.ports) else { return "\(dash) (no published TCP port)" }
        return inst.state.isActive ? "\(dash) (port \(port.hostPort) not answering yet)" : dash
    }

    /// Network, published ports, guest addresses, initrd, shared folders, disks, Unikraft.
    static func workloadFields(_ inst: Instance, _ s: AppState) -> [(String, String)] {
        let arrow = s.symbols.arrow
        func list(_ items: [String]) -> String { items.isEmpty ? "(none)" : items.joined(separator: ", ") }
        return [
            ("Network", inst.network?.description ?? s.symbols.emDash),
            ("Ports", list(inst.ports.map { "\($0.displayAddress):\($0.hostPort) \(arrow) \($0.guestPort)/\($0.protocol.rawValue)" })),
            ("Addresses", list(inst.addresses)),
            ("Initrd", inst.initrd ?? "(none)"),
            ("Volumes", list(inst.volumes.map { "\($0.hostPath) \(arrow) \($0.tag)" + ($0.readOnly ? " (read-only)" : "") })),
            ("Disks", list(inst.disks.map { "\($0.path) (\($0.format.rawValue)" + ($0.readOnly ? ", read-only)" : ")") })),
            ("Unikraft", inst.unikraft ? "yes (parameters end with ' --'; exit 41 is a halt, 42 a crash)" : "no"),
        ]
    }

    /// CPU (as the table shows it), RSS and the CPU history, when there are statistics.
    static func statsFields(_ inst: Instance, _ s: AppState) -> [(String, String)] {
        var f: [(String, String)] = []
        if let st = inst.stats {
            f.append(("CPU", Formatting.cpuPercent(s.displayedCPU(inst) ?? st.cpuPercent) + "%"))
            f.append(("RSS", st.rssBytes.map { Formatting.bytes($0) } ?? s.symbols.emDash))
        }
        if let h = s.stats[inst.id], !h.samples.isEmpty {
            f.append(("CPU history", Formatting.sparkline(h.samples, width: StatsHistory.capacity, sparks: s.symbols.sparks)))
        }
        return f
    }

    static func quote(_ arg: String) -> String {
        if !arg.isEmpty, arg.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return arg }
        return "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The details as display lines for `width` columns (long values wrapped under their value column).
    static func lines(_ inst: Instance, _ s: AppState, width: Int) -> [String] {
        lines(fields(inst, s), width: width)
    }

    /// `fields` as display lines for `width` columns.
    static func lines(_ fields: [(String, String)], width: Int) -> [String] {
        let keyW = 14
        let valueW = max(10, width - keyW - 3)
        var out: [String] = []
        for (k, v) in fields {
            var rest = Substring(v)
            var first = true
            repeat {
                var chunk = ""
                var w = 0
                while let ch = rest.first, w + ch.terminalWidth <= valueW { chunk.append(ch); w += ch.terminalWidth; rest = rest.dropFirst() }
                if chunk.isEmpty, let ch = rest.first { chunk.append(ch); rest = rest.dropFirst() }
                out.append(" " + (first ? k : "").padded(to: keyW) + "  " + chunk)
                first = false
            } while !rest.isEmpty
        }
        return out
    }

    static func draw(_ grid: inout Grid, _ s: AppState, _ layout: Layout) {
        let t = s.theme
        if s.detailsShowImage {
            guard let image = s.selectedImage else {
                grid.put(" no image selected (Esc goes back)", x: 0, y: 2, style: t[.dim]); return
            }
            drawLines(&grid, s, layout, title: " image: \(image.name)", lines(ImageDetailsView.fields(image, s), width: grid.width))
            return
        }
        guard let inst = s.selectedInstance else {
            grid.put(" no instance selected (Esc goes back)", x: 0, y: 2, style: t[.dim]); return
        }
        drawLines(&grid, s, layout, title: " details: \(inst.name)  (\(inst.backend)/\(inst.host))", lines(inst, s, width: grid.width))
    }

    /// A title row, then `all` from the scroll position.
    static func drawLines(_ grid: inout Grid, _ s: AppState, _ layout: Layout, title: String, _ all: [String]) {
        let t = s.theme
        grid.fill(x: 0, y: 1, width: grid.width, height: 1, style: t[.tableHeader])
        grid.put(title, x: 0, y: 1, style: t[.tableHeader])
        let top = min(s.detailsTop, max(0, all.count - layout.tableHeight))
        for r in 0..<layout.tableHeight {
            guard top + r < all.count else { break }
            let line = all[top + r]
            grid.put(line, x: 0, y: 2 + r, style: Style())
            grid.restyle(x: 0, y: 2 + r, width: 16, style: t[.keyHint])
        }
    }
}
