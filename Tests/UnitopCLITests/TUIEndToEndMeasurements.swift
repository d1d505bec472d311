import Foundation
import Models
import Testing
import UnitopTesting

extension TUIEndToEnd {
    /// Figures for the report, not assertions on time: idle CPU of the UI with 20 quiet instances,
    /// bytes it writes to the terminal while idle, and launch-to-first-frame. Runs only with
    /// `UNITOP_TUI_MEASURE=1` (it boots 20 guests and takes minutes); prints its figures.
    @Suite struct Measurements {
        static let enabled = ProcessInfo.processInfo.environment["UNITOP_TUI_MEASURE"] == "1"

        /// utime + stime of `pid` in seconds (all threads).
        static func cpuSeconds(_ pid: Int32) -> Double? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
            guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
            return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        @Test(.enabled(if: enabled)) func idleCPUBytesAndFirstFrame() throws {
            let s = try TUISession(); defer { s.close() }
            let count = 20
            for i in 1...count {
                let r = try s.h.unitop(["run", "idle", "--name", "idle-\(i)", "--accel", "tcg", "--memory", "32M", "--detach"], timeout: 120)
                try #require(r.status == 0, "run idle-\(i): \(r.stderr)")
            }
            #expect(try Wait.blockingUntil(timeout: 180, interval: 0.5) { try s.running().filter { $0.state == .running }.count == count })

            // Launch to first full frame (status bar drawn), 5 times.
            var firstFrame: [Double] = []
            var allRows: [Double] = []
            for _ in 0..<5 {
                let start = Date()
                let t = try s.open(waitForFrame: false)
                #expect(Wait.blockingUntil(timeout: 30, interval: 0.005) { ((try? t.capture().last) ?? "").contains("? help") })
                firstFrame.append(Date().timeIntervalSince(start))
                #expect(Wait.blockingUntil(timeout: 30, interval: 0.005) { ((try? t.screen()) ?? "").contains("\(count) running") })
                allRows.append(Date().timeIntervalSince(start))
            }
            func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

            // Idle: the last UI, left alone for 30 s.
            let t = try #require(s.tmux)
            let pid = try #require(t.pid)
            #expect(s.waitFor("idle: halting"), "\(s.screen)")
            let recording = s.h.home.root + "/pane-output"
            _ = FileManager.default.createFile(atPath: recording, contents: nil)
            try t.startRecordingOutput(to: recording)
            let cpu0 = try #require(Self.cpuSeconds(pid))
            let wall0 = Date()
            let window = 30.0
            Thread.sleep(forTimeInterval: window)  // a measurement window, not a wait for a condition
            let cpu1 = try #require(Self.cpuSeconds(pid))
            let wall = Date().timeIntervalSince(wall0)
            try t.stopRecordingOutput()
            let bytes = (try? FileManager.default.attributesOfItem(atPath: recording)[.size] as? Int) ?? -1
            let report = """
            TUI measurements (\(count) idle instances, 130x32, TCG):
              launch to first full frame (status bar): median \(String(format: "%.3f", median(firstFrame))) s  all: \(firstFrame.map { String(format: "%.3f", $0) })
              launch to all \(count) rows running:      median \(String(format: "%.3f", median(allRows))) s  all: \(allRows.map { String(format: "%.3f", $0) })
              idle CPU over \(String(format: "%.1f", wall)) s: \(String(format: "%.3f", cpu1 - cpu0)) s CPU = \(String(format: "%.2f", (cpu1 - cpu0) / wall * 100)) %
              bytes written to the pane while idle: \(bytes) (\(String(format: "%.1f", Double(bytes) / wall)) B/s)
            """
            print(report)
        }
    }
}
