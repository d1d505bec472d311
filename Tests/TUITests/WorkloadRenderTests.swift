import Foundation
import Models
import Testing
@testable import TUI

/// What the screens show of a workload: the PORTS and READY columns (and how they give way on
/// narrow terminals), the details of an instance's network, ports, folders and disks, and the
/// images' kind, Unikraft flag and disk checks.
@Suite struct WorkloadRenderTests {
    func web(_ name: String = "web", ports: [PortMapping] = [PortMapping(hostPort: 8080, guestPort: 80)],
             ready: Double? = 12.4) -> Instance {
        var i = makeInstance(name)
        i.network = .user
        i.ports = ports
        i.readyMillis = ready
        return i
    }

    func row(_ name: String, _ lines: [String]) -> String { lines.first { $0.hasPrefix(" \(name) ") } ?? "" }

    /// The cell under `title` in `line` (columns are separated by one space; `title` starts its column).
    func cell(_ title: String, _ header: String, _ line: String) -> String? {
        guard let r = header.range(of: title) else { return nil }
        let start = header.distance(from: header.startIndex, to: r.lowerBound)
        let rest = header[r.upperBound...]
        let next = rest.firstIndex { $0 != " " }.map { header.distance(from: header.startIndex, to: $0) } ?? line.count
        let chars = Array(line)
        guard start < chars.count else { return "" }
        return String(chars[start..<min(chars.count, next)]).trimmingCharacters(in: .whitespaces)
    }

    /// Moves the images cursor to `name` (from the top, a bounded number of steps).
    func selectImage(_ s: inout AppState, _ name: String) {
        press(&s, .character("g"))
        for _ in 0..<s.images.count where s.selectedImage?.name != name { press(&s, .character("j")) }
        #expect(s.selectedImage?.name == name)
    }

    @Test func portsAndReadyColumns() throws {
        let s = makeState([
            web(),
            web("multi", ports: [PortMapping(hostPort: 8080, guestPort: 80), PortMapping(hostPort: 8443, guestPort: 443),
                                 PortMapping(hostAddress: "0.0.0.0", hostPort: 5353, guestPort: 53, protocol: .udp)], ready: nil),
            makeInstance("plain"),
        ], width: 200)
        let lines = screen(s)
        let header = lines[2]
        #expect(header.contains("PORTS") && header.contains("READY"), "\(header)")
        #expect(cell("PORTS", header, row("web", lines)) == "8080→80")
        #expect(row("web", lines).contains("12ms"))
        #expect(cell("PORTS", header, row("multi", lines)) == "8080→80,8443→443,+1")
        #expect(cell("PORTS", header, row("plain", lines)) == "—")
        // READY waits for the port (a dash), like BOOT before the first byte.
        let readyEnd = try #require(header.range(of: "READY")).upperBound
        let readyWidth = header.distance(from: header.startIndex, to: readyEnd)
        #expect(String(row("multi", lines).prefix(readyWidth)).hasSuffix("—"))
        #expect(String(row("web", lines).prefix(readyWidth)).hasSuffix("12ms"))
    }

    @Test func aLongPortListIsCountedNotCut() {
        let many = (0..<6).map { PortMapping(hostPort: 18_000 + $0, guestPort: 80 + $0) }
        let lines = screen(makeState([web("many", ports: many)], width: 120))
        let text = cell("PORTS", lines[2], row("many", lines)) ?? ""
        #expect(text.hasPrefix("18000→80"), "\(text)")
        #expect(text.range(of: #",\+[0-9]$"#, options: .regularExpression) != nil, "\(text) in \(lines[2])\n\(row("many", lines))")
        #expect(PortMapping.listDescription(many, maxWidth: 20) == "18000→80,18001→81,+4")
        #expect(PortMapping.listDescription(many, maxWidth: 5) == "18000→80,+5")
        #expect(PortMapping.listDescription(many) == many.map(\.shortDescription).joined(separator: ","))
    }

    @Test func columnsGiveWayOnNarrowTerminals() {
        // Nobody publishes a port: no PORTS or READY column at any width, STATE keeps the room.
        for w in [120, 130, 200] {
            let plain = InstancesTableView.columns(width: w, showsPorts: false)
            #expect(!plain.contains { $0.id == .ready || $0.id == .ports })
            #expect(plain.contains { $0.id == .cpus } && plain.contains { $0.id == .boot })
            let with = InstancesTableView.columns(width: w, showsPorts: true)
            #expect(with.contains { $0.id == .ports }, "\(w)")
        }
        #expect(InstancesTableView.columns(width: 130, showsPorts: false).first { $0.id == .state }.map(\.width) ?? 0 >= 20)
        // Someone does: PORTS outlasts CPUS, MEM, HOST, READY and BOOT.
        let at110 = InstancesTableView.columns(width: 110, showsPorts: true).map(\.id)
        #expect(at110.contains(.ports) && at110.contains(.boot) && at110.contains(.ready))
        #expect(!at110.contains(.host) && !at110.contains(.cpus))
        let at80 = InstancesTableView.columns(width: 80, showsPorts: true).map(\.id)
        #expect(at80.contains(.ports) && !at80.contains(.ready) && !at80.contains(.boot))
        // The narrowest keep NAME, IMAGE and STATE.
        let at60 = InstancesTableView.columns(width: 60, showsPorts: true).map(\.id)
        #expect(at60.contains(.name) && at60.contains(.image) && at60.contains(.state))
        for w in [40, 60, 80, 100, 128, 200] {
            for shows in [false, true] {
                let cols = InstancesTableView.columns(width: w, showsPorts: shows)
                #expect(cols.reduce(1) { $0 + $1.width + 1 } <= w + 1, "\(w) \(shows)")
            }
        }
        // On screen, with ports: every row still fits, and the port is there at 80 columns.
        var s = makeState([web(), makeInstance("plain")], width: 80, height: 24)
        #expect(screen(s).allSatisfy { $0.displayWidth <= 80 })
        #expect(row("web", screen(s)).contains("8080→80"))
        s.capabilities = TerminalCapabilities(colors: 256, unicode: false)
        #expect(row("web", screen(s)).contains("8080->80"))
    }

    @Test func detailsListTheWorkload() {
        var inst = web()
        inst.addresses = ["10.0.2.15"]
        inst.initrd = "/images/rootfs.cpio"
        inst.volumes = [VolumeMount(hostPath: "/srv/www", tag: "www", readOnly: true)]
        inst.disks = [DiskAttachment(path: "/images/data.qcow2", format: .qcow2)]
        inst.unikraft = true
        inst.append = "netdev.ip=10.0.2.15/24:10.0.2.2 -- -c /nginx/conf/nginx.conf"
        var s = makeState([inst], width: 120, height: 60)
        press(&s, .character("i"))
        let text = screenText(s)
        for pattern in [#"Ready\s+12ms"#, #"Network\s+user"#, #"Ports\s+127\.0\.0\.1:8080 → 80/tcp"#, #"Addresses\s+10\.0\.2\.15"#,
                        #"Initrd\s+/images/rootfs\.cpio"#, #"Volumes\s+/srv/www → www \(read-only\)"#,
                        #"Disks\s+/images/data\.qcow2 \(qcow2\)"#, #"Unikraft\s+yes"#, #"Append\s+netdev\.ip=10\.0\.2\.15/24:10\.0\.2\.2 -- -c"#] {
            #expect(text.range(of: pattern, options: .regularExpression) != nil, "no \(pattern) in:\n\(text)")
        }
        // Nothing published: READY says why it stays empty.
        var s2 = makeState([makeInstance("plain")], width: 120, height: 60)
        press(&s2, .character("i"))
        let plain = screenText(s2)
        #expect(plain.range(of: #"Ready\s+— \(no published TCP port\)"#, options: .regularExpression) != nil, "\(plain)")
        #expect(plain.range(of: #"Ports\s+\(none\)"#, options: .regularExpression) != nil)
        #expect(plain.range(of: #"Unikraft\s+no"#, options: .regularExpression) != nil)
    }

    @Test func imagesShowKindAndDetailsShowTheDiskCheck() throws {
        var uk = makeImage("nginx_qemu-x86_64")
        uk.unikraft = true
        var disk = Image(name: "nanos", path: "/images/nanos.img", format: .rawDisk, arch: nil, sizeBytes: 1 << 20,
                         modifiedAt: t0, bootable: true, reason: nil)
        disk.diskCheck = "MBR boot signature 55 AA at byte 510: boots from the first disk"
        var s = makeState([], width: 140, height: 30)
        _ = reduce(&s, .imagesLoaded([uk, disk, makeImage("hello")]))
        press(&s, .character("2"))
        let lines = screen(s)
        #expect(lines[2].contains("KIND"))
        #expect(lines.contains { $0.contains("nginx_qemu-x86_64") && $0.contains("unikraft") && $0.contains("multiboot") })
        #expect(lines.contains { $0.contains("nanos") && $0.contains("disk") && $0.contains("raw-disk") && $0.contains("yes") })
        #expect(lines.contains { $0.contains("hello") && $0.contains("kernel") })
        // i: the selected image's details; Esc: back to the images.
        selectImage(&s, "nanos")
        press(&s, .character("i"))
        #expect(s.screen == .details && s.detailsShowImage)
        let text = screenText(s)
        #expect(text.contains("image: nanos"))
        #expect(text.range(of: #"Disk check\s+MBR boot signature 55 AA at byte 510"#, options: .regularExpression) != nil, "\(text)")
        #expect(text.range(of: #"Bootable\s+yes, from the first disk"#, options: .regularExpression) != nil, "\(text)")
        press(&s, .escape)
        #expect(s.screen == .images)
        selectImage(&s, "nginx_qemu-x86_64")
        press(&s, .character("i"))
        #expect(screenText(s).range(of: #"Unikraft\s+yes"#, options: .regularExpression) != nil)
        #expect(s.nextTimeChange(after: t0) == nil)
    }

    @Test func imageDetailsListTheSidecar() {
        let defaults = ImageDefaults(memoryMiB: 128, network: .user, ports: [PortMapping(hostPort: 8080, guestPort: 80)],
                                     initrd: "/images/rootfs.cpio", volumes: [VolumeMount(hostPath: "/srv", tag: "www")])
        var s = makeState([], width: 120, height: 40)
        _ = reduce(&s, .imagesLoaded([makeImage("web", defaults: defaults)]))
        press(&s, .character("2"), .character("i"))
        let text = screenText(s)
        for pattern in [#"memory\s+128 MiB"#, #"net\s+user"#, #"publish\s+8080:80"#, #"initrd\s+/images/rootfs\.cpio"#, #"volumes\s+/srv:www"#] {
            #expect(text.range(of: pattern, options: .regularExpression) != nil, "no \(pattern) in:\n\(text)")
        }
    }
}
