import Foundation
import Models
import Testing
@testable import TUI

@Suite struct StartFormTests {
    func imagesState(_ images: [Image], instances: [Instance] = []) -> AppState {
        var s = makeState(instances)
        _ = reduce(&s, .imagesLoaded(images))
        press(&s, .character("2"))
        return s
    }

    @Test func formUsesSidecarDefaultsAndProducesLaunchSpec() throws {
        let d = ImageDefaults(memoryMiB: 128, cpus: 2, machine: "microvm", append: "console=ttyS0")
        var s = imagesState([makeImage("hello", defaults: d)])
        press(&s, .character("s"))
        let form = try #require(s.startForm)
        #expect(form.name == "hello")
        #expect(form.memory == "128M")
        #expect(form.cpus == "2")
        #expect(form.append == "console=ttyS0")
        let text = screenText(s)
        #expect(text.contains("Start hello"))
        #expect(text.contains("128M"))
        let effects = press(&s, .enter)
        let spec = LaunchSpec(name: "hello", imagePath: "/images/hello.elf", memoryMiB: 128, cpus: 2,
                              append: "console=ttyS0", machine: "microvm")
        #expect(effects == [.start(spec, backend: BackendRef(kind: .qemu, host: "local"))])
        #expect(s.startForm == nil)
        #expect(s.status?.text.hasPrefix("starting hello") == true)
    }

    @Test func editingFieldsAndDefaultsWithoutSidecar() throws {
        var s = imagesState([makeImage("hello")], instances: [makeInstance("hello")])
        press(&s, .enter)
        #expect(s.startForm?.name == "hello-2")  // unique name
        #expect(s.startForm?.memory == "64M")
        press(&s, .control("u"))
        type(&s, "my-vm")
        press(&s, .tab)
        #expect(s.startForm?.field == .memory)
        press(&s, .backspace, .backspace, .backspace)
        type(&s, "1G")
        press(&s, .tab)
        press(&s, .backspace)
        type(&s, "4")
        press(&s, .tab)
        type(&s, "quiet")
        let effects = press(&s, .enter)
        guard case .start(let spec, _)? = effects.first else { Issue.record("no start effect"); return }
        #expect(spec.name == "my-vm")
        #expect(spec.memoryMiB == 1024)
        #expect(spec.cpus == 4)
        #expect(spec.append == "quiet")
    }

    @Test func invalidValuesStayInFormWithError() {
        var s = imagesState([makeImage("hello")])
        press(&s, .character("s"))
        press(&s, .control("u"))
        type(&s, "bad name!")
        #expect(press(&s, .enter).isEmpty)
        #expect(s.startForm?.error?.contains("invalid name") == true)
        #expect(screenText(s).contains("invalid name"))
        press(&s, .control("u"))
        type(&s, "ok")
        press(&s, .tab, .control("u"))
        type(&s, "lots")
        #expect(press(&s, .enter).isEmpty)
        #expect(s.startForm?.error?.contains("invalid memory size") == true)
        press(&s, .control("u"))
        type(&s, "64M")
        press(&s, .tab, .control("u"))
        type(&s, "0")
        #expect(press(&s, .enter).isEmpty)
        #expect(s.startForm?.error?.contains("invalid cpus") == true)
        press(&s, .escape)
        #expect(s.startForm == nil)
        #expect(s.status?.text == "start cancelled")
    }

    @Test func notBootableImageRefused() {
        var s = imagesState([makeImage("disk", bootable: false, reason: "no multiboot header")])
        press(&s, .character("s"))
        #expect(s.startForm == nil)
        #expect(s.status?.text == "disk is not bootable: no multiboot header")
    }

    @Test func startAgainFromFinishedInstance() throws {
        var s = makeState([makeInstance("web-1", state: .exited, memory: 96, exitCode: 0)])
        press(&s, .character("s"))
        let form = try #require(s.startForm)
        #expect(form.name == "web-2")
        #expect(form.memory == "96M")
        #expect(form.imagePath == "/images/hello.elf")
    }

    @Test func backendFieldCyclesWhenSeveralBackends() throws {
        var s = imagesState([makeImage("hello")])
        s.backends.append(BackendRef(kind: .libvirt, host: "lab1"))
        press(&s, .character("s"))
        press(&s, .backTab)
        #expect(s.startForm?.field == .backend)
        #expect(screenText(s).contains("< qemu:local >"))
        press(&s, .right)
        let effects = press(&s, .enter)
        guard case .start(_, let backend)? = effects.first else { Issue.record("no start"); return }
        #expect(backend == BackendRef(kind: .libvirt, host: "lab1"))
    }
}
