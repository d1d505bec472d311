import Foundation
import Models
import Testing
@testable import TUI

/// The start form's network, ports, initrd, volumes, disks and application arguments: parsed
/// with `unitop run`'s parsers, resolved by ``LaunchResolver``, errors shown in the form on the
/// field they are about.
@Suite struct StartFormWorkloadTests {
    /// A folder with an initrd, a raw disk and a shared folder; removed by `remove()`.
    struct Files {
        let root: String
        var initrd: String { root + "/rootfs.cpio" }
        var disk: String { root + "/data.img" }
        var share: String { root + "/www" }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("uform-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root + "/www", withIntermediateDirectories: true)
            try Data("070701".utf8).write(to: URL(fileURLWithPath: initrd))
            try Data(repeating: 0, count: 4096).write(to: URL(fileURLWithPath: disk))
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    func imagesState(_ images: [Image]) -> AppState {
        var s = makeState([])
        _ = reduce(&s, .imagesLoaded(images))
        press(&s, .character("2"))
        return s
    }

    /// Focuses `field` with Tab (at most once round the form) and replaces its text with `text`.
    func set(_ s: inout AppState, _ field: StartForm.Field, _ text: String) {
        focus(&s, field)
        press(&s, .control("u"))
        type(&s, text)
    }

    func focus(_ s: inout AppState, _ field: StartForm.Field) {
        for _ in StartForm.Field.allCases where s.startForm?.field != field { press(&s, .tab) }
        #expect(s.startForm?.field == field, "cannot focus \(field)")
    }

    func startedSpec(_ effects: [Effect]) -> LaunchSpec? {
        if case .start(let spec, _)? = effects.first { return spec }
        return nil
    }

    @Test func everyWorkloadFieldReachesTheSpec() throws {
        let f = try Files(); defer { f.remove() }
        var s = imagesState([makeImage("hello")])
        press(&s, .character("s"))
        set(&s, .ports, "8080:80, 0.0.0.0:5353:53/udp")
        set(&s, .initrd, f.initrd)
        set(&s, .volumes, "\(f.share):www:ro")
        set(&s, .disks, "\(f.disk):ro")
        set(&s, .arguments, #"-c "/etc/my app.conf" -v"#)
        let text = screenText(s)
        #expect(text.contains("Ports") && text.contains("Volumes") && text.contains("App args"), "\(text)")
        let spec = try #require(startedSpec(press(&s, .enter)), "\(s.startForm?.error ?? "")")
        #expect(spec.network == .user)  // published ports imply user networking
        #expect(spec.ports == [PortMapping(hostPort: 8080, guestPort: 80),
                               PortMapping(hostAddress: "0.0.0.0", hostPort: 5353, guestPort: 53, protocol: .udp)])
        #expect(spec.initrd == f.initrd)
        #expect(spec.volumes == [VolumeMount(hostPath: f.share, tag: "www", readOnly: true)])
        #expect(spec.disks == [DiskAttachment(path: f.disk, format: .raw, readOnly: true)])
        #expect(spec.applicationArguments == ["-c", "/etc/my app.conf", "-v"])
        #expect(spec.kernelCommandLine == #"-- -c "/etc/my app.conf" -v"#)
    }

    @Test func malformedValuesAreShownOnTheirField() throws {
        let f = try Files(); defer { f.remove() }
        let cases: [(StartForm.Field, String, String)] = [
            (.ports, "99999:80", "invalid port mapping '99999:80'"),
            (.ports, "8080", "invalid port mapping"),
            (.network, "wifi", "invalid network 'wifi'"),
            (.volumes, "/srv", "invalid volume '/srv'"),
            (.volumes, "/srv:bad tag", "invalid volume tag"),
            (.arguments, #"-c "unclosed"#, "unclosed"),
            (.initrd, f.root + "/missing.cpio", "initrd \(f.root)/missing.cpio: no such file"),
            (.volumes, f.root + "/nope:www", "volume 'www'"),
            (.disks, f.share, "disk \(f.share): not a regular file"),
        ]
        for (field, value, expected) in cases {
            var s = imagesState([makeImage("hello")])
            press(&s, .character("s"))
            set(&s, field, value)
            focus(&s, .name)
            #expect(press(&s, .enter).isEmpty, "\(field) \(value)")
            #expect(s.startForm?.error?.contains(expected) == true, "\(field) \(value): \(s.startForm?.error ?? "no error")")
            #expect(s.startForm?.field == field, "\(field) \(value): focus on \(String(describing: s.startForm?.field))")
            #expect(screenText(s).contains(String(expected.prefix(20))), "\(field) \(value): the error is on screen")
        }
    }

    @Test func portsNeedUserNetworking() {
        var s = imagesState([makeImage("hello")])
        press(&s, .character("s"))
        set(&s, .network, "none")
        set(&s, .ports, "8080:80")
        #expect(press(&s, .enter).isEmpty)
        #expect(s.startForm?.error?.contains("published ports need user networking") == true, "\(s.startForm?.error ?? "")")
        #expect(s.startForm?.field == .ports)
        set(&s, .network, "user")
        #expect(startedSpec(press(&s, .enter))?.network == .user)
    }

    @Test func unikraftAndDiskImagesKeepWhatTheImageIs() throws {
        var uk = makeImage("nginx")
        uk.unikraft = true
        var s = imagesState([uk])
        press(&s, .character("s"))
        #expect(screenText(s).contains("(Unikraft)"))
        set(&s, .ports, "8080:80")
        let spec = try #require(startedSpec(press(&s, .enter)))
        #expect(spec.unikraft)
        #expect(spec.kernelCommandLine == "netdev.ip=10.0.2.15/24:10.0.2.2 --")

        let disk = Image(name: "nanos", path: "/images/nanos.qcow2", format: .qcow2, arch: nil, sizeBytes: 1 << 20,
                         modifiedAt: t0, bootable: true, reason: nil)
        var d = imagesState([disk])
        press(&d, .character("s"))
        let diskSpec = try #require(startedSpec(press(&d, .enter)))
        #expect(diskSpec.bootDiskFormat == .qcow2)
        var withInitrd = imagesState([disk])
        press(&withInitrd, .character("s"))
        let f = try Files(); defer { f.remove() }
        set(&withInitrd, .initrd, f.initrd)
        #expect(press(&withInitrd, .enter).isEmpty)
        #expect(withInitrd.startForm?.error?.contains("--initrd needs a kernel image") == true)
        #expect(withInitrd.startForm?.field == .initrd)
    }

    @Test func theSidecarPrefillsAndAnEmptiedFieldMeansNone() throws {
        let f = try Files(); defer { f.remove() }
        let defaults = ImageDefaults(ports: [PortMapping(hostPort: 8080, guestPort: 80)], initrd: f.initrd,
                                     volumes: [VolumeMount(hostPath: f.share, tag: "www")])
        var s = imagesState([makeImage("web", defaults: defaults)])
        press(&s, .character("s"))
        let form = try #require(s.startForm)
        #expect(form.network == "")  // implied by the ports
        #expect(form.ports == "8080:80")
        #expect(form.initrd == f.initrd)
        #expect(form.volumes == "\(f.share):www")
        #expect(screenText(s).contains("8080:80"))
        // Cleared fields are "none", not "the sidecar's again".
        set(&s, .ports, "")
        set(&s, .initrd, "")
        let spec = try #require(startedSpec(press(&s, .enter)), "\(s.startForm?.error ?? "")")
        #expect(spec.ports.isEmpty && spec.network == NetworkMode.none && spec.initrd == nil)
        #expect(spec.volumes == [VolumeMount(hostPath: f.share, tag: "www")])
    }

    @Test func startingLikeAnInstanceCopiesItsWorkload() throws {
        var inst = makeInstance("web-1", state: .exited, exitCode: 0)
        inst.network = .user
        inst.ports = [PortMapping(hostAddress: "0.0.0.0", hostPort: 8080, guestPort: 80)]
        inst.append = "console=ttyS0 -- serve --port 80"
        var s = makeState([inst])
        press(&s, .character("s"))
        let form = try #require(s.startForm)
        #expect(form.ports == "0.0.0.0:8080:80")
        #expect(form.network == "")
        #expect(form.append == "console=ttyS0")
        #expect(form.arguments == "serve --port 80")
        // The same port again: refused in the form while web-1 runs (here: it exited, so free).
        let free = try #require(startedSpec(press(&s, .enter)), "\(s.startForm?.error ?? "")")
        #expect(free.ports == inst.ports && free.applicationArguments == ["serve", "--port", "80"])
        var running = inst
        running.state = .running
        var r = makeState([running])
        press(&r, .character("s"))
        #expect(press(&r, .enter).isEmpty)
        #expect(r.startForm?.error == "host port 0.0.0.0:8080/tcp is published by web-1")
        #expect(r.startForm?.field == .ports)
        set(&r, .ports, "8081:80")
        #expect(startedSpec(press(&r, .enter))?.ports == [PortMapping(hostPort: 8081, guestPort: 80)])
        var bridged = makeInstance("br-1", state: .exited, exitCode: 0)
        bridged.network = .bridge("br0")
        var b = makeState([bridged])
        press(&b, .character("s"))
        #expect(b.startForm?.network == "bridge=br0")
    }

    @Test func theFormScrollsToTheFocusedFieldOnShortTerminals() {
        var s = imagesState([makeImage("hello")])
        s.width = 60; s.height = 10
        press(&s, .character("s"))
        for field in StartForm.Field.allCases where field != .backend {
            focus(&s, field)
            let label = s.startForm?.row(field).label ?? ""
            #expect(screen(s).contains { $0.contains(label) }, "\(field) not visible:\n\(screenText(s))")
            #expect(screen(s).allSatisfy { $0.displayWidth <= 60 })
        }
    }

    @Test func argumentWords() throws {
        #expect(try StartForm.words("") == [])
        #expect(try StartForm.words("  a  b ") == ["a", "b"])
        #expect(try StartForm.words(#"a "b c" 'd "e"' """#) == ["a", "b c", #"d "e""#, ""])
        #expect(throws: UnitopError.self) { try StartForm.words("'open") }
        #expect(StartForm.list(" a, ,b ,") == ["a", "b"])
        #expect(StartForm.splitCommandLine("a b -- c d") == ("a b", "c d"))
        #expect(StartForm.splitCommandLine("netdev.ip=x --") == ("netdev.ip=x", ""))
        #expect(StartForm.splitCommandLine("-- c") == ("", "c"))
        #expect(StartForm.splitCommandLine("plain") == ("plain", ""))
    }
}
