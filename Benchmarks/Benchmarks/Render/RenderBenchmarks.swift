// Rendering (issue #5, figure 5): one 200x60 frame with 1,000 instance rows and a full console
// pane, render + diff against the previous frame, target ≤ 1 ms; and scrolling anywhere in a
// 100,000-line scrollback costs the same as at the bottom.
//
// The render is the TUI's pure `Renderer.render(_:)`; the state is built through the real
// reducer (`instancesLoaded`, `consoleData`, keys). The diff is the cell comparison the ncurses
// driver does before it paints (`GridDiff` below mirrors it: per-row, per-cell equality);
// painting itself is ncurses' work and is not part of this figure.

import Benchmark
import Foundation
import Models
import TUI

/// Terminal size of the figure.
let width = 200, height = 60
/// Instances in the table.
let instanceCount = 1_000
/// Lines in the big scrollback.
let scrollbackLines = 100_000

let backend = BackendRef(kind: "qemu", host: "local")
let epoch = Date(timeIntervalSince1970: 1_790_000_000)

/// 1,000 instances in a realistic mix of states, with stats so the sparkline and CPU columns draw.
func makeInstances(_ count: Int) -> [Instance] {
    let states: [InstanceState] = [.running, .running, .running, .paused, .exited, .crashed, .stopped, .running]
    return (0..<count).map { i in
        let state = states[i % states.count]
        return Instance(
            name: String(format: "web-%04d", i), backend: "qemu", host: "local",
            image: i % 3 == 0 ? "/var/lib/unitop/images/nginx_qemu-x86_64" : "/srv/images/hello.elf",
            state: state, pid: state.isActive ? Int32(10_000 + i) : nil, memoryMiB: 32 << (i % 3), cpus: 1 + i % 2,
            startedAt: epoch.addingTimeInterval(-Double(60 * i)), bootMillis: 30 + Double(i % 40),
            exitCode: state == .exited ? 0 : nil, exitReason: state == .crashed ? "guest panicked" : nil,
            stats: state.isActive ? InstanceStats(cpuPercent: Double(i % 17) / 3, rssBytes: UInt64(18 << 20)) : nil,
            accel: "kvm", machine: "pc")
    }
}

/// Console lines: the mixed corpus (colours, non-ASCII, hostile sequences), at least `lines` lines.
func consoleBytes(lines: Int) -> [UInt8] {
    var bytes = ConsoleCorpus.generate(bytes: lines * 120, seed: 7)
    var count = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    var extra = 0
    while count < lines {
        bytes += Array("padding line \(extra) heartbeat ok\n".utf8)
        count += 1; extra += 1
    }
    return bytes
}

/// The state of the figure: `instances` rows, the first one selected with its console pane
/// showing the last lines of a `lines`-line scrollback.
func makeState(instances: Int, lines: Int) -> AppState {
    var state = AppState()
    state.scrollbackLines = lines
    _ = reduce(&state, .resize(width: width, height: height))
    _ = reduce(&state, .tick(epoch))
    let list = makeInstances(instances)
    _ = reduce(&state, .instancesLoaded(backend, list))
    for inst in list where inst.state.isActive {
        for k in 0..<20 {
            _ = reduce(&state, .backendEvent(.statsBatch([inst.id: InstanceStats(cpuPercent: Double((k * 7 + inst.memoryMiB) % 23), rssBytes: 18 << 20)])))
        }
    }
    if let id = state.consoleInstanceID {
        let bytes = consoleBytes(lines: lines)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + (64 << 10))
            _ = reduce(&state, .consoleData(id, Array(bytes[offset..<end])))
            offset = end
        }
    }
    return state
}

/// The driver's diff step: which cells differ from the previous frame.
enum GridDiff {
    /// Number of changed cells (0 when the grids are equal, as the driver's fast path).
    static func changedCells(_ previous: Grid, _ grid: Grid) -> Int {
        guard previous.width == grid.width, previous.height == grid.height else { return grid.width * grid.height }
        if previous == grid { return 0 }
        var changed = 0
        for y in 0..<grid.height {
            for x in 0..<grid.width where previous[x, y] != grid[x, y] { changed += 1 }
        }
        return changed
    }
}

/// The state after `keys` (each reduced in turn).
func pressing(_ keys: [Key], on start: AppState) -> AppState {
    var state = start
    for key in keys { _ = reduce(&state, .key(key)) }
    return state
}

/// A state at a scroll position of the 100,000-line console, with the console pane focused.
func scrolled(_ state: AppState, fromTop offset: Int?) -> AppState {
    var s = pressing([.tab], on: state)
    guard let id = s.consoleInstanceID, let first = s.consoles[id]?.buffer.firstLineNumber else { return s }
    if let offset {
        s.consoles[id]?.follow = false
        s.consoles[id]?.topLine = first + offset
    }
    return s
}

/// The frame of the figure and the frame before it (one tick earlier, one console line fewer).
let frameStates: (before: AppState, after: AppState) = {
    var before = makeState(instances: instanceCount, lines: 10_000)
    var after = before
    _ = reduce(&before, .tick(epoch.addingTimeInterval(-1)))
    if let id = after.consoleInstanceID {
        _ = reduce(&after, .consoleData(id, Array("one more line \u{1B}[32mok\u{1B}[m\n".utf8)))
    }
    return (before, after)
}()

/// 20 instances, the selected one with 100,000 console lines.
let bigScrollback: AppState = makeState(instances: 20, lines: scrollbackLines)

/// (state, previous frame) at the bottom (following), the middle and the top of the scrollback.
let scrollStates: [String: (state: AppState, previous: Grid)] = {
    var out: [String: (AppState, Grid)] = [:]
    for (name, offset) in [("bottom", nil), ("middle", scrollbackLines / 2), ("top", 0)] as [(String, Int?)] {
        let state = scrolled(bigScrollback, fromTop: offset)
        // The previous frame: one line further down (a scroll step up to here).
        let previous = Renderer.render(scrolled(bigScrollback, fromTop: (offset ?? scrollbackLines - 60) + 1))
        out[name] = (state, previous)
    }
    return out
}()

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 20,
        scalingFactor: .one,
        maxDuration: .seconds(4),
        maxIterations: 2_000
    )

    // Anchor: a blank 200x60 grid allocated and compared with the previous one (the floor).
    Benchmark("anchor: blank grid + diff", configuration: configuration) { benchmark in
        let previous = Grid(width: width, height: height)
        for _ in benchmark.scaledIterations {
            let grid = Grid(width: width, height: height)
            blackHole(GridDiff.changedCells(previous, grid))
        }
    }

    // The figure: 1,000 rows + full console pane, diffed against the previous frame, so the diff
    // has real work (uptime column, console pane).
    Benchmark("frame: 1000 rows + console, render + diff", configuration: configuration) { benchmark in
        let (before, after) = frameStates
        let previous = Renderer.render(before)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let grid = Renderer.render(after)
            blackHole(GridDiff.changedCells(previous, grid))
        }
    }

    // Scrolling in a 100,000-line scrollback: bottom (following), middle, top.
    for name in ["bottom", "middle", "top"] {
        Benchmark("scroll: \(name) of 100k lines", configuration: configuration) { benchmark in
            guard let (state, previous) = scrollStates[name] else { return }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let grid = Renderer.render(state)
                blackHole(GridDiff.changedCells(previous, grid))
            }
        }
    }
}
