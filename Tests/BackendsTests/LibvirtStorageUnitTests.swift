@testable import Backends
import Foundation
import Models
import Synchronization
import Testing
import UnitopTesting

/// The pure parts of images travelling to libvirt hosts: which URIs are remote, the pool's
/// directory rules, volume names, and the remote console log's offsets (with a fake volume
/// source: growth, rotation, tails), no daemon needed.
struct LibvirtStorageUnitTests {
    @Test func sshIsNeverThisMachine() throws {
        #expect(try !LibvirtURI("qemu+ssh://unitop-lvtest@127.0.0.1:2222/session?socket=/x").isThisMachine)
        #expect(try !LibvirtURI("qemu+libssh://localhost/system").isThisMachine)
        #expect(try !LibvirtURI("qemu+libssh2://127.0.0.1/system").isThisMachine)
        #expect(try LibvirtURI("qemu+tcp://127.0.0.1/system").isThisMachine)
        #expect(try LibvirtURI("qemu+unix:///session?socket=/tmp/s").isThisMachine)
        #expect(try !LibvirtURI("qemu+unix:///session?socket=/tmp/s", treatAsRemote: true).isThisMachine)
        #expect(try LibvirtURI("qemu+ssh://alice@lab1/session").userName == "alice")
        #expect(try LibvirtURI("qemu+ssh://lab1/system").userName == nil)
    }

    /// The content hash is SHA-256 (FIPS 180-2's test vectors), read in chunks.
    @Test func contentHashIsSHA256() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unitop-sha-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [([UInt8], String)] = [
            (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ([UInt8](repeating: 0x61, count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (bytes, expected) in cases {
            let path = dir + "/f"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            #expect(try ContentHashCache.sha256(fd: fd, size: UInt64(bytes.count), path: path) == expected)
        }
    }

    @Test func poolDirectoryRules() throws {
        let f = LibvirtStoragePool.fallbackDirectory
        #expect(f(try LibvirtURI("qemu+ssh://lab1/system"), "me") == "/var/lib/libvirt/images/unitop")
        #expect(f(try LibvirtURI("qemu+ssh://alice@lab1/session"), "me") == "/home/alice/.local/share/libvirt/images/unitop")
        #expect(f(try LibvirtURI("qemu+ssh://root@lab1/session"), "me") == "/root/.local/share/libvirt/images/unitop")
        #expect(f(try LibvirtURI("qemu+ssh://lab1/session"), "me") == "/home/me/.local/share/libvirt/images/unitop")
    }

    @Test func poolTargetPathIsReadBoundedly() {
        let xml = "<pool type='dir'><name>default</name><source/><target><path>/srv/a&amp;b</path><permissions><mode>0711</mode></permissions></target></pool>"
        #expect(LibvirtStoragePool.targetPath(inXML: xml) == "/srv/a&b")
        #expect(LibvirtStoragePool.targetPath(inXML: "<pool><target><path>relative</path></target></pool>") == nil)
        #expect(LibvirtStoragePool.targetPath(inXML: "<pool><target></target><path>/x</path></pool>") == nil)
        #expect(LibvirtStoragePool.targetPath(inXML: "<pool><target><path>/x") == nil)
        let huge = "<pool>" + String(repeating: "<x/>", count: 100_000) + "<target><path>/far</path></target></pool>"
        #expect(LibvirtStoragePool.targetPath(inXML: huge) == nil)
        #expect(XMLEscaping.unescape("a&#65;&#x42;&bogus;&") == "aAB&bogus;&")
        #expect(LibvirtVolumes.format(inXML: "<volume><target><path>/p</path><format type='qcow2'/></target></volume>") == "qcow2")
        #expect(LibvirtVolumes.format(inXML: "<volume><target><format type='q;rm'/></target></volume>") == nil)
        #expect(LibvirtVolumes.format(inXML: "<volume><format type='raw'/></volume>") == nil)
    }

    @Test func volumeNamesKeepTheExtension() {
        let hex = String(repeating: "ab", count: 32)
        #expect(LibvirtBackend.volumeName(sha256: hex, fileName: "hello.elf") == "abababababababab-hello.elf")
        #expect(LibvirtBackend.volumeName(sha256: hex, fileName: ".hidden img$.qcow2") == "abababababababab-_hidden_img_.qcow2")
        let long = LibvirtBackend.volumeName(sha256: hex, fileName: String(repeating: "x", count: 300) + ".img")
        #expect(long.hasSuffix(".img") && long.count == 17 + 100)
        #expect(LibvirtBackend.isStoredImage("abababababababab-hello.elf"))
        #expect(!LibvirtBackend.isStoredImage("unitop-web.console.log"))
        #expect(!LibvirtBackend.isStoredImage("abababababababab-hello.elf.partial-1234abcd"))
        #expect(LibvirtBackend.fileName(ofVolume: "abababababababab-hello.elf") == "hello.elf")
    }

    @Test func historyPlanCoversBackupsAndTails() {
        let plan = RemoteConsoleLog.plan(volume: "v", sizes: [10, 100, 50], history: .all)
        #expect(plan.segments == [.init(volume: "v.1", offset: 0, end: 50), .init(volume: "v.0", offset: 0, end: 100),
                                  .init(volume: "v", offset: 0, end: 10)])
        #expect(plan.liveOffset == 10)
        let tail = RemoteConsoleLog.plan(volume: "v", sizes: [10, 100], history: .tail(bytes: 15))
        #expect(tail.segments == [.init(volume: "v.0", offset: 95, end: 100), .init(volume: "v", offset: 0, end: 10)])
        #expect(RemoteConsoleLog.plan(volume: "v", sizes: [10], history: .none).segments.isEmpty)
        #expect(RemoteConsoleLog.plan(volume: "v", sizes: [nil], history: .all) == ([], 0))
    }

    /// A log that grows, then rotates: every byte exactly once, in order.
    @Test func followReadsEveryByteOnceAcrossGrowthAndRotation() async throws {
        let (source, ended, console) = followBootLog()
        defer { console.cancel() }
        #expect(await wait { console.text == "boot\n" })
        source.append("v", Array("one\n".utf8))
        #expect(await wait { console.text == "boot\none\n" })
        // Rotation: the current file (plus bytes not read yet) becomes v.0, a new one starts.
        source.append("v", Array("two\n".utf8))
        source.rotate("v")
        source.append("v", Array("three\n".utf8))
        #expect(await wait { console.text == "boot\none\ntwo\nthree\n" })
        ended.set()
        #expect(await wait { console.finished }, "ends once the domain ended and the log is quiet")
        #expect(console.text == "boot\none\ntwo\nthree\n")
        #expect(console.error == nil)
    }

    /// The host's daemon goes away while following (reads fail with a connection error) and the
    /// log grows meanwhile: following waits, then goes on from the same offset; nothing is lost.
    @Test func followWaitsOutALostConnection() async throws {
        let (source, ended, console) = followBootLog()
        defer { console.cancel() }
        #expect(await wait { console.text == "boot\n" })
        source.setDown(true)
        source.append("v", Array("while down\n".utf8))
        #expect(await wait(seconds: 3) { source.failedReads >= 2 }, "it keeps asking while the daemon is down")
        #expect(!console.finished && console.text == "boot\n")
        source.setDown(false)
        #expect(await wait { console.text == "boot\nwhile down\n" })
        ended.set()
        #expect(await wait { console.finished })
        #expect(console.error == nil)
    }

    /// A lost end event: following still ends once the domain is found gone.
    @Test func followEndsWhenTheDomainIsGoneWithoutAnEvent() async throws {
        let source = FakeLogs()
        source.set("v", Array("boot\n".utf8))
        let asked = Flag()
        let console = ConsoleRecorder(RemoteConsoleLog.stream(volume: "v", source: source, history: .all, follow: true,
                                                              hasEnded: { false }, stillRunning: { asked.set(); return false }))
        defer { console.cancel() }
        #expect(await wait(seconds: 30) { console.finished })
        #expect(asked.value)
        #expect(console.text == "boot\n")
    }

    /// Follows `v` (holding "boot\n") of fake volumes from its start, until the flag says the domain ended.
    private func followBootLog() -> (FakeLogs, Flag, ConsoleRecorder) {
        let source = FakeLogs()
        source.set("v", Array("boot\n".utf8))
        let ended = Flag()
        let console = ConsoleRecorder(RemoteConsoleLog.stream(volume: "v", source: source, history: .all, follow: true,
                                                              hasEnded: { ended.value }))
        return (source, ended, console)
    }

    private func wait(seconds: Int = 10, _ condition: @escaping @Sendable () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

private final class Flag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}

/// In-memory volumes for ``RemoteConsoleLog``.
private final class FakeLogs: RemoteConsoleLog.Source {
    private let files = Mutex<[String: [UInt8]]>([:])
    private let down = Mutex(false)
    private let failures = Mutex(0)

    /// While down, every read fails as a lost connection does.
    func setDown(_ value: Bool) { down.withLock { $0 = value } }
    var failedReads: Int { failures.withLock { $0 } }

    func set(_ name: String, _ bytes: [UInt8]) { files.withLock { $0[name] = bytes } }
    func append(_ name: String, _ bytes: [UInt8]) { files.withLock { $0[name, default: []] += bytes } }
    func rotate(_ name: String) { files.withLock { $0[name + ".0"] = $0[name]; $0[name] = [] } }

    func sizes(_ volumes: [String]) async throws -> [UInt64?] {
        files.withLock { f in volumes.map { f[$0].map { UInt64($0.count) } } }
    }

    func read(_ volume: String, offset: UInt64, maxBytes: Int) async throws -> (size: UInt64?, bytes: [UInt8]) {
        if down.withLock({ $0 }) {
            failures.withLock { $0 += 1 }
            throw UnitopError.connection(uri: "fake:///", message: "disconnected")
        }
        return files.withLock { f in
            guard let b = f[volume] else { return (nil, []) }
            guard offset < UInt64(b.count) else { return (UInt64(b.count), []) }
            let end = min(b.count, Int(offset) + maxBytes)
            return (UInt64(b.count), Array(b[Int(offset)..<end]))
        }
    }
}
