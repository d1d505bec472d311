import Foundation
import Models
import Testing
import UnitopTesting

/// Many hosts in the real TUI and CLI (issue 11): hosts that do not answer never hold up the first
/// frame or a listing; a remote daemon that goes away shows as disconnected while the local rows
/// stay live, and comes back; a remote guest's console reads from its first byte.
extension TUIEndToEnd {
    @Suite(.serialized) struct ManyHostsTUITests {
        static func writeConfig(_ s: TUISession, uris: [String], timeout: Int) throws {
            try """
            image_dirs = ["\(Fixtures.directory)"]
            stop_timeout = 2

            [qemu]
            accel = "tcg"

            [libvirt]
            uris = [\(uris.map { "\"\($0)\"" }.joined(separator: ", "))]
            timeout = \(timeout)
            """.write(toFile: s.h.home.configHome + "/unitop/config.toml", atomically: true, encoding: .utf8)
        }

        /// Neither a host that refuses nor one that never answers holds up `ps` past its own
        /// deadline, or the UI's first frame at all: the local rows come at once, the header shows
        /// each such host as connecting or disconnected.
        @Test func hostsThatDoNotAnswerHoldUpNeitherPsNorTheFirstFrame() throws {
            let s = try TUISession()
            defer { s.close() }
            // A libvirt host that hangs: connections complete, nothing ever answers.
            let silent = try SilentListener()
            defer { silent.close() }
            let closed = try #require(FreePort.loopbackTCP(), "no free port")
            let name = "mh-" + UUID().uuidString.prefix(6).lowercased()
            try s.start("hello", name: name)

            // A refused host answers "no" at once: ps lists the rest and says so (status 3), well
            // before the 30 s host deadline. The silent one costs its deadline (2 s here), no more.
            try Self.writeConfig(s, uris: ["qemu+tcp://127.0.0.1:\(closed)/system"], timeout: 30)
            let t0 = Date()
            let refused = try s.h.unitop(["ps", "--json"], timeout: 60)
            let refusedSeconds = Date().timeIntervalSince(t0)
            #expect(refused.status == 3, "\(refused.stderr)")
            #expect(refused.stderr.hasPrefix("127.0.0.1: unreachable: ") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
            #expect(refused.stdout.contains("\"name\":\"\(name)\""), "\(refused.stdout)")
            #expect(refusedSeconds < 15, "a refusing host held ps for \(refusedSeconds) s")

            try Self.writeConfig(s, uris: ["qemu+tcp://127.0.0.1:\(closed)/system", "qemu+tcp://127.0.0.1:\(silent.port)/session"], timeout: 2)
            let t1 = Date()
            let both = try s.h.unitop(["ps", "--json"], timeout: 60)
            let bothSeconds = Date().timeIntervalSince(t1)
            #expect(both.status == 3, "\(both.stderr)")
            #expect(both.stderr.contains("127.0.0.1:session: unreachable: no answer within 2.0 s"), "\(both.stderr)")
            #expect(both.stdout.contains("\"name\":\"\(name)\""))
            #expect(bothSeconds < 12, "the silent host held ps for \(bothSeconds) s with a 2 s deadline")
            // Narrowed to the local host, the others are not asked at all.
            let local = try s.h.unitop(["ps", "--host", "local"], timeout: 60)
            #expect(local.status == 0 && local.stderr.isEmpty && local.stdout.contains(name), "\(local.stderr)")

            // The UI: its first frame has the local row while both hosts are still being tried.
            let t = try s.open(width: 200, waitForFrame: false)
            #expect(t.waitFor(timeout: TUISession.quick) { lines in
                lines.contains { $0.contains("? help") } && TUISession.row(name, in: lines) != nil
            }, "first frame with the local row: \(s.screen)")
            #expect(s.waitFor { ($0.first ?? "").contains("libvirt:127.0.0.1:session ○") }, "silent host not connected: \(s.screen)")
            #expect(s.waitForRow(name, containing: "running"), "\(s.screen)")
            try Self.writeConfig(s, uris: [], timeout: 2)
        }

        /// The ssh host's daemon stops while the UI runs: its header entry turns disconnected, the
        /// local rows keep changing, and it reconnects when the daemon is back. Its guest's console
        /// reads from the first byte (`logs HOST/NAME`, and the console pane), and a `logs --follow`
        /// started before the daemon went away goes on after it is back without losing a byte.
        @Test func remoteDaemonGoesAwayLocalRowsStayLive() async throws {
            let s = try TUISession()
            let host = try await SSHLibvirtHost.up()
            defer { s.close(); _ = host.purgeNow() }
            try Self.writeConfig(s, uris: [host.uri], timeout: 10)
            let local = "ml-" + UUID().uuidString.prefix(6).lowercased()
            let remote = "mr-" + UUID().uuidString.prefix(6).lowercased()
            try s.start("hello", name: local)
            // The same local image, started on the remote host (uploaded: its user cannot read it).
            let run = try s.h.unitop(["run", Fixtures.path("hello"), "--host", host.hostLabel, "--name", remote,
                                      "--accel", "tcg", "--detach"], timeout: 180)
            try #require(run.status == 0, "run on \(host.hostLabel): \(run.stderr)")

            // History from boot: the banner and the command line the guest printed first.
            let boot = Wait.blockingUntil(timeout: TUISession.slow, interval: 0.5) {
                (try? s.h.unitop(["logs", remote], timeout: 60))?.stdout.contains("hello: cmdline=") == true
            }
            #expect(boot, "remote console from the first byte: \((try? s.h.unitop(["logs", remote]))?.stdout ?? "")")

            let t = try s.open(width: 200)
            let label = "libvirt:\(host.hostLabel)"
            #expect(s.waitFor(timeout: TUISession.slow) { ($0.first ?? "").contains("\(label) ●") }, "connected: \(s.screen)")
            #expect(s.waitForRow(remote, containing: "running") && s.waitForRow(local, containing: "running"), "\(s.screen)")
            try s.select(remote)
            #expect(s.waitFor(timeout: TUISession.slow) { $0.contains { $0.contains("hello: cmdline=") } },
                    "the console pane shows the remote guest from its first line: \(s.screen)")
            // And follows it live: its heartbeats keep coming (read from the log volume at offsets).
            let seen = TUISession.heartbeats(in: try s.capture()).max() ?? 0
            #expect(s.waitFor(timeout: TUISession.slow) { (TUISession.heartbeats(in: $0).max() ?? 0) >= seen + 2 },
                    "the remote console follows live output: \(s.screen)")

            // `logs --follow HOST/NAME` from another process: history from boot, then live output.
            let address = "\(host.hostLabel)/\(remote)"
            let follower = try BackgroundUnitop(["logs", "--follow", address], harness: s.h)
            defer { follower.stop() }
            #expect(Wait.blockingUntil(timeout: TUISession.slow) { follower.output.contains("hello: cmdline=") }, "follow starts from boot")
            let heartbeats = { Fixtures.heartbeats(in: follower.output) }
            let before = heartbeats().max() ?? 0
            #expect(Wait.blockingUntil(timeout: TUISession.slow) { (heartbeats().max() ?? 0) >= before + 2 },
                    "logs --follow delivers live output: \(follower.output.suffix(200))")

            try await host.stopDaemon()
            #expect(s.waitFor(timeout: TUISession.slow) { ($0.first ?? "").contains("\(label) ○") }, "disconnected: \(s.screen)")
            let paneAtRestart = TUISession.heartbeats(in: try s.capture()).max() ?? 0
            #expect(follower.process.isRunning, "logs --follow waits for the daemon to come back")
            // Local rows stay live meanwhile: a local kill shows up.
            #expect(try s.h.unitop(["kill", "local/\(local)"], timeout: 60).status == 0)
            #expect(s.waitFor(timeout: TUISession.slow) { lines in
                TUISession.row(local, in: lines).map { $0.contains("stopped") || $0.contains("exited") } == true
            }, "local row live while \(label) is down: \(s.screen)")
            try await host.startDaemon()
            #expect(s.waitFor(timeout: TUISession.slow) { ($0.first ?? "").contains("\(label) ●") }, "reconnected: \(s.screen)")
            #expect(s.waitForRow(remote, containing: "running"), "\(s.screen)")
            // The console pane rode out the restart too: the remote guest's heartbeats go on.
            #expect(s.waitFor(timeout: TUISession.slow) { (TUISession.heartbeats(in: $0).max() ?? 0) >= paneAtRestart + 2 },
                    "the console pane follows again after the restart: \(s.screen)")
            // H narrows to one host at a time.
            try t.sendKeys("H")
            #expect(s.waitFor { lines in TUISession.row(remote, in: lines) == nil && TUISession.row(local, in: lines) != nil }, "host local only: \(s.screen)")
            try t.sendKeys("H")
            #expect(s.waitFor { lines in TUISession.row(remote, in: lines) != nil && TUISession.row(local, in: lines) == nil }, "host \(host.hostLabel) only: \(s.screen)")

            // The follower rode out the restart: live output again, then it ends by itself when the
            // guest ends, having printed every heartbeat once, in order: exactly the whole log.
            let atRestart = heartbeats().max() ?? 0
            #expect(Wait.blockingUntil(timeout: TUISession.slow) { (heartbeats().max() ?? 0) >= atRestart + 2 },
                    "logs --follow goes on after the daemon is back: \(follower.output.suffix(200))")
            #expect(try s.h.unitop(["kill", address], timeout: 60).status == 0)
            #expect(Wait.blockingUntil(timeout: TUISession.slow) { !follower.process.isRunning }, "logs --follow ends with the guest")
            let numbers = heartbeats()
            #expect(numbers == Array(1...max(1, numbers.count)), "every heartbeat once, in order: \(numbers)")
            #expect(follower.output == (try s.h.unitop(["logs", address], timeout: 60)).stdout, "follow printed the whole log")

            #expect(try s.h.unitop(["rm", "--force", address], timeout: 120).status == 0)
            #expect(await host.purge())
            #expect(host.processesLeft().isEmpty, "left running: \(host.processesLeft())")
        }
    }
}
