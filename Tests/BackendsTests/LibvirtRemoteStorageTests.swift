@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// Images travel and console history from boot on a host that is not this machine, against the
/// private session libvirtd of the test user (`scripts/libvirt-private.sh`, purged afterwards):
/// its `qemu+unix` URI is treated as remote (``LibvirtURI/treatAsRemote``), so every file goes
/// through the libvirt API, as over ssh. The image comes from a root-only folder the daemon's
/// user cannot read: it can only boot by upload.
@Suite(.serialized)
struct LibvirtRemoteStorageTests {
    /// Everything one test needs: the daemon's folder and URI, a backend treating it as remote.
    struct Host {
        let dir: String
        let uri: String
        let backend: LibvirtBackend
        let home: TemporaryHome

        /// The daemon's pool folder: the test defines the daemon's `default` pool at DIR/images
        /// (its user has no home to build the session default in), so `unitop` goes under it.
        var poolDirectory: String { dir + "/images/unitop" }
    }

    static func withHost(_ body: (Host) async throws -> Void) async throws {
        let port = try LibvirtReconnectTests.freePort()
        let dir = "/tmp/unitop-lvs-" + UUID().uuidString.prefix(8).lowercased()
        defer { _ = try? LibvirtSystemTests.spawnAndWait([LibvirtReconnectTests.script, "purge", dir], timeout: 90) }
        try #require(try await LibvirtReconnectTests.privateDaemon(["up", dir, String(port)]) == 0, "cannot start the private libvirtd")
        let uri = "qemu+unix:///session?socket=\(dir)/run/libvirt/libvirt-sock"
        let defined = LibvirtSystemTests.virsh(["pool-define-as", "default", "dir", "--target", dir + "/images"], uri: uri)
        try #require(defined?.status == 0, "cannot define the default pool: \(defined?.stderr ?? "")")
        let home = try TemporaryHome(prefix: "lvstore")
        let paths = UnitopPaths.resolve(environment: home.environment)
        let b = try LibvirtBackend(uri: uri, paths: paths, config: Config(), connectTimeout: 10, treatAsRemote: true)
        defer { b.close(); home.remove() }
        try await body(Host(dir: dir, uri: uri, backend: b, home: home))
    }

    /// A copy of fixture `name` in a fresh folder of mode 0700 owned by root (removed by the caller).
    static func rootOnlyCopy(_ name: String, extraBytes: Int = 0) throws -> (path: String, folder: String) {
        let folder = NSTemporaryDirectory() + "unitop-secret-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = folder + "/" + name + ".elf"
        var data = try Data(contentsOf: URL(fileURLWithPath: try LibvirtSystemTests.fixture(name)))
        if extraBytes > 0 { data.append(Data((0..<extraBytes).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) })) }
        try data.write(to: URL(fileURLWithPath: path))
        return (path, folder)
    }

    /// Every byte of a stream that ends by itself (at most `timeout` seconds).
    static func collect(_ stream: AsyncThrowingStream<[UInt8], Error>, timeout: Double = 30) async throws -> [UInt8] {
        let rec = ConsoleRecorder(stream)
        defer { rec.cancel() }
        try #require(await LibvirtTestSupport.eventually(timeout: timeout) { rec.finished }, "the history stream did not end")
        if let e = rec.error { throw e }
        return rec.bytes
    }

    @Test func imageUploadedOnceBootsAndConsoleHasHistoryFromBoot() async throws {
        try await Self.withHost { host in
            let b = host.backend
            let (image, folder) = try Self.rootOnlyCopy("hello")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let first = LibvirtSystemTests.uniqueName("travel"), second = LibvirtSystemTests.uniqueName("again")

            #expect(try await b.storedImages().isEmpty)
            #expect(LibvirtSystemTests.virsh(["pool-info", "unitop"], uri: host.uri)?.status != 0, "listing creates no pool")
            let inst = try await b.start(LaunchSpec(name: first, imagePath: image, memoryMiB: 32, append: "heartbeat_ms=200", accel: .tcg))
            #expect(inst.image == image, "the metadata keeps the path the user gave")
            #expect(b.state.withLock { $0.uploads } == 1)
            let pool = LibvirtSystemTests.virsh(["pool-dumpxml", "unitop"], uri: host.uri)?.stdout ?? ""
            #expect(pool.contains("<path>\(host.poolDirectory)</path>"), "the pool is created under the default pool")
            #expect(LibvirtSystemTests.virsh(["pool-info", "unitop"], uri: host.uri)?.stdout.contains("Autostart:      yes") == true)
            #expect(inst.consoleLogPath == host.poolDirectory + "/unitop-\(first).console.log")

            // Follow from the first byte; later output arrives with nothing doubled at the seam.
            let live = ConsoleRecorder(b.console(first, history: .all, follow: true))
            defer { live.cancel() }
            #expect(await live.wait(for: "heartbeat 3", timeout: 60))
            let history = String(decoding: try await Self.collect(b.console(first, history: .all, follow: false)), as: UTF8.self)
            #expect(history.contains("unitop-fixture hello booted"))
            #expect(live.text.hasPrefix(history) || history.hasPrefix(live.text), "history and live output are the same bytes from boot")
            let last = Fixtures.heartbeats(in: history).last ?? 0
            #expect(await live.wait(for: "heartbeat \(last + 3)\r\n", timeout: 60))
            try await b.sendConsoleInput(first, bytes: Array("again\r".utf8))
            #expect(await live.wait(for: "you typed: again", timeout: 30))
            let beats = Fixtures.heartbeats(in: live.text)
            #expect(beats == Array(1...(beats.last ?? 1)), "every heartbeat once, in order: \(beats)")
            #expect(live.text.components(separatedBy: "hello booted").count == 2, "the banner once")
            let tail = try await Self.collect(b.console(first, history: .tail(bytes: 12), follow: false))
            #expect(tail.count == 12)

            // A second start of the same image uploads nothing.
            _ = try await b.start(LaunchSpec(name: second, imagePath: image, memoryMiB: 32, accel: .tcg))
            #expect(b.state.withLock { $0.uploads } == 1)
            #expect(b.state.withLock { $0.uploadChecks } == 2)
            let other = ConsoleRecorder(b.console(second, history: .all, follow: true))
            defer { other.cancel() }
            #expect(await other.wait(for: "unitop-fixture hello booted", timeout: 60))

            // The host's images: the uploaded one, inspected from its bytes there.
            let stored = try await b.storedImages()
            #expect(stored.count == 1)
            #expect(stored.first?.name == "hello")
            #expect(stored.first?.format == .multiboot)
            #expect(stored.first?.host == b.host)
            #expect(stored.first?.path.hasPrefix(host.poolDirectory + "/") == true)

            // Removing the instances removes their logs from the pool, not the shared image.
            for n in [first, second] {
                try await b.remove(n, force: true)
            }
            let vols = LibvirtSystemTests.virsh(["vol-list", "unitop"], uri: host.uri)?.stdout ?? ""
            #expect(!vols.contains("unitop-\(first)") && !vols.contains("unitop-\(second)"), "volumes left: \(vols)")
            #expect(vols.contains("-hello.elf"))
            #expect(await LibvirtTestSupport.eventually(timeout: 15) { live.finished }, "following ends when the domain is gone")
            #expect(live.error == nil)
        }
    }

    /// virtlogd rotates the console log at 2 MiB: following a guest that prints 3 MB reads the
    /// rest of the rotated file, then the new one; every line once, in order, and the history
    /// after the end (backup, then the current log) is the same bytes.
    @Test func followingSurvivesLogRotation() async throws {
        try await Self.withHost { host in
            let b = host.backend
            let (image, folder) = try Self.rootOnlyCopy("flood")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let name = LibvirtSystemTests.uniqueName("rotate")
            let lines = 37_500  // 3,000,000 bytes of 80-byte lines
            _ = try await b.start(LaunchSpec(name: name, imagePath: image, memoryMiB: 32, append: "bytes=\(lines * 80)", accel: .tcg))
            let live = ConsoleRecorder(b.console(name, history: .all, follow: true))
            defer { live.cancel() }
            #expect(await LibvirtTestSupport.eventually(timeout: 240) { live.finished }, "the guest ends and following ends")
            #expect(live.error == nil)
            let numbers = live.text.components(separatedBy: "flood ").dropFirst().compactMap { Int($0.prefix(8)) }
            #expect(numbers == Array(0..<lines), "lines \(numbers.count), first gap at \(zip(numbers, 0...).first { $0 != $1 }.map { "\($0)" } ?? "none")")
            let vols = LibvirtSystemTests.virsh(["vol-list", "unitop"], uri: host.uri)?.stdout ?? ""
            #expect(vols.contains("unitop-\(name).console.log.0"), "virtlogd rotated the log: \(vols)")
            let history = try await Self.collect(b.console(name, history: .all, follow: false))
            #expect(history == live.bytes)
            try await b.remove(name, force: true)
        }
    }

    /// Writable files are never shared: a qcow2 boot disk and a writable raw `--disk`, both from a
    /// root-only folder, are uploaded once by content and copied per instance on the host; the
    /// guest boots from the copy; `rm` deletes the copies and keeps the uploaded images.
    @Test func diskImagesAreCopiedPerInstanceOnTheHost() async throws {
        let qcow = Fixtures.directory + "/disk.qcow2", raw = Fixtures.directory + "/disk.img"
        try #require(FileManager.default.fileExists(atPath: qcow) && FileManager.default.fileExists(atPath: raw),
                     "disk fixtures missing: make -C fixtures disks")
        try await Self.withHost { host in
            let b = host.backend
            let folder = NSTemporaryDirectory() + "unitop-secret-" + UUID().uuidString.prefix(8).lowercased()
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try FileManager.default.copyItem(atPath: qcow, toPath: folder + "/boot.qcow2")
            try FileManager.default.copyItem(atPath: raw, toPath: folder + "/data.img")
            let name = LibvirtSystemTests.uniqueName("disks")
            let spec = LaunchSpec(name: name, imagePath: folder + "/boot.qcow2", memoryMiB: 32, accel: .tcg, bootDiskFormat: .qcow2,
                                  disks: [DiskAttachment(path: folder + "/data.img", format: .raw)])
            _ = try await b.start(spec)
            #expect(b.state.withLock { $0.uploads } == 2)
            let out = ConsoleRecorder(b.console(name, history: .all, follow: true))
            defer { out.cancel() }
            #expect(await out.wait(for: "unitop-fixture disk booted", timeout: 60), "output: \(out.text)")
            let vols = LibvirtSystemTests.virsh(["vol-list", "unitop"], uri: host.uri)?.stdout ?? ""
            #expect(vols.contains("unitop-\(name).boot") && vols.contains("unitop-\(name).disk0"), "volumes: \(vols)")
            #expect(vols.contains("-boot.qcow2") && vols.contains("-data.img"))
            try await b.remove(name, force: true)
            let after = LibvirtSystemTests.virsh(["vol-list", "unitop"], uri: host.uri)?.stdout ?? ""
            #expect(!after.contains("unitop-\(name)"), "volumes left: \(after)")
            #expect(after.contains("-boot.qcow2") && after.contains("-data.img"))
        }
    }

    /// Benchmark (not a test of timing): storing a 10 MiB image on the host the first time
    /// (hash + upload + copy into place) and again (cached hash + one lookup), and again from a
    /// fresh state directory (hash read again, no upload). Medians of `UNITOP_BENCH_UPLOAD_RUNS`
    /// (default 5), image size `UNITOP_BENCH_UPLOAD_MIB` (default 10); printed as one
    /// `BENCH upload …` line (scripts/bench/bench_upload.py). Runs only with `UNITOP_LIBVIRT_BENCH=1`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["UNITOP_LIBVIRT_BENCH"] == "1"))
    func uploadBenchmark() async throws {
        let env = ProcessInfo.processInfo.environment
        let runs = Int(env["UNITOP_BENCH_UPLOAD_RUNS"] ?? "") ?? 5
        let mib = min(max(Int(env["UNITOP_BENCH_UPLOAD_MIB"] ?? "") ?? 10, 1), 1024)
        try await Self.withHost { host in
            let (image, folder) = try Self.rootOnlyCopy("hello", extraBytes: mib << 20)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var first: [Double] = [], again: [Double] = [], fresh: [Double] = []
            func time(_ body: () async throws -> Void) async rethrows -> Double {
                let t = ContinuousClock.now
                try await body()
                let d = ContinuousClock.now - t
                return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            }
            for _ in 0..<runs {
                let home2 = try TemporaryHome(prefix: "lvbench")
                defer { home2.remove() }
                let other = try LibvirtBackend(uri: host.uri, paths: UnitopPaths.resolve(environment: home2.environment),
                                               config: Config(), treatAsRemote: true)
                defer { other.close() }
                var stored: [LibvirtBackend.HostFile?] = []
                first.append(try await time { stored.append(try await host.backend.storeOnHost(image, what: "image")) })
                again.append(try await time { stored.append(try await host.backend.storeOnHost(image, what: "image")) })
                fresh.append(try await time { stored.append(try await other.storeOnHost(image, what: "image")) })
                #expect(stored.map { $0?.uploaded } == [true, false, false])
                try await host.backend.deleteHostVolumes([stored.first??.volume ?? ""])
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: image)[.size] as? Int) ?? 0
            print(String(format: "BENCH upload bytes=%d runs=%d first=%.4f again=%.4f fresh_state=%.4f",
                         size, runs, LibvirtSystemTests.median(first), LibvirtSystemTests.median(again), LibvirtSystemTests.median(fresh)))
        }
    }
}
