import Foundation
import Models
import Testing
@testable import TUI

/// The TUI over several hosts (issue 11): latency in the header, the `H` host filter over both
/// lists, the URI in the details, images with their host.
@Suite struct ManyHostsRenderTests {
    func twoHosts() -> AppState {
        var lab = makeInstance("web", host: "lab1", backend: .libvirt)
        lab.hostURI = "qemu+ssh://root@lab1/system"
        var s = makeState([makeInstance("web"), makeInstance("db"), lab], width: 160)
        s.backends.append(BackendRef(kind: .libvirt, host: "lab1"))
        return s
    }

    @Test func headerShowsEachHostsLatencyOnlyWhenItChangesVisibly() {
        var s = twoHosts()
        _ = reduce(&s, .backendEvent(.connection(backend: .libvirt, host: "lab1", .connected)))
        #expect(reduce(&s, .backendEvent(.hostLatency(backend: .libvirt, host: "lab1", milliseconds: 12.3))).isEmpty)
        #expect(screen(s)[0].contains("libvirt:lab1 ● 12ms"), "\(screen(s)[0])")
        let revision = s.revision
        _ = reduce(&s, .backendEvent(.hostLatency(backend: .libvirt, host: "lab1", milliseconds: 12.4)))
        #expect(s.revision == revision, "the same figure on screen: no frame")
        _ = reduce(&s, .backendEvent(.connection(backend: .libvirt, host: "lab1", .disconnected(message: "Connection refused"))))
        #expect(screen(s)[0].contains("libvirt:lab1 ○ reconnecting"))
        #expect(screenText(s).contains("libvirt:lab1: Connection refused"), "the reason is in the status bar")
    }

    @Test func hCyclesEveryHostThenEachThenEveryAgain() {
        var s = twoHosts()
        func names() -> [String] { s.rows.map { "\($0.host)/\($0.name)" }.sorted() }
        #expect(names() == ["lab1/web", "local/db", "local/web"])
        _ = press(&s, .character("H"))
        #expect(s.hostFilter == "local" && names() == ["local/db", "local/web"])
        #expect(screen(s)[1].contains("host: local"))
        _ = press(&s, .character("H"))
        #expect(s.hostFilter == "lab1" && names() == ["lab1/web"])
        _ = press(&s, .character("H"))
        #expect(s.hostFilter == nil && names().count == 3)
        #expect(!screen(s)[1].contains("host:"))
    }

    @Test func imagesOfRemoteHostsAreListedWithTheirHostAndFiltered() {
        var s = twoHosts()
        let local = Image(name: "hello.elf", path: "/img/hello.elf", format: .multiboot, arch: "i386", sizeBytes: 10,
                          modifiedAt: nil, bootable: true, reason: nil)
        _ = reduce(&s, .imagesLoaded([local]))
        _ = reduce(&s, .hostImagesLoaded(host: "lab1", [Image(name: "hello.elf", path: "/pool/ab-hello.elf", format: .multiboot,
                                                              arch: "i386", sizeBytes: 10, modifiedAt: nil, bootable: true, reason: nil)]))
        // A rescan of this machine's directories keeps the hosts' lists.
        _ = reduce(&s, .imagesLoaded([local]))
        _ = press(&s, .character("2"))
        let rows = screen(s).filter { $0.hasPrefix(" hello.elf") }
        #expect(rows.count == 2 && rows.contains { $0.contains(" local ") } && rows.contains { $0.contains(" lab1 ") }, "\(screenText(s))")
        _ = press(&s, .character("H"), .character("H"))
        #expect(screen(s).filter { $0.hasPrefix(" hello.elf") }.map { $0.contains(" lab1 ") } == [true])
    }

    @Test func detailsNameTheHostsURI() {
        var s = twoHosts()
        _ = press(&s, .character("H"), .character("H"), .character("i"))
        #expect(screenText(s).contains("qemu+ssh://root@lab1/system"), "\(screenText(s))")
    }
}
