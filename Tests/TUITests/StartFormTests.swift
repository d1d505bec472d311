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

    @Test func configMachineAndAccelReachTheSpecWithoutASidecar() throws {
        var config = Config()
        config.qemu.machine = "microvm"
        config.qemu.accel = .tcg
        config.qemu.cpu = "qemu64"
        let options = TUIOptions(readonly: false, theme: nil, config: config,
                                 paths: UnitopPaths.resolve(environment: ["UNITOP_HOME": "/nonexistent"]), environment: [:])
        var s = TUIApp.initialState(backends: [BackendRef(kind: .qemu, host: "local")], options: options,
                                    capabilities: TerminalCapabilities(colors: 256, unicode: true), size: (120, 30))
        _ = reduce(&s, .instancesLoaded(BackendRef(kind: .qemu, host: "local"), []))
        _ = reduce(&s, .imagesLoaded([makeImage("hello")]))
        press(&s, .character("2"), .character("s"))
        #expect(s.startForm?.machine == "microvm")
        #expect(screenText(s).contains("< microvm >"))
        let effects = press(&s, .enter)
        guard case .start(let spec, _)? = effects.first else { Issue.record("no start effect: \(effects)"); return }
        #expect(spec.machine == "microvm")
        #expect(spec.accel == .tcg)
        #expect(spec.cpuModel == "qemu64")
    }

    @Test func machineFieldCyclesThroughTheLaunchLimits() throws {
        var s = imagesState([makeImage("hello", defaults: ImageDefaults(machine: "q35"))])
        press(&s, .character("s"))
        #expect(s.startForm?.machine == "q35")
        while s.startForm?.field != .machine { press(&s, .tab) }
        var seen: [String] = []
        for _ in LaunchLimits.machines { press(&s, .right); seen.append(s.startForm?.machine ?? "") }
        #expect(Set(seen) == Set(LaunchLimits.machines))
        press(&s, .left)
        let effects = press(&s, .enter)
        guard case .start(let spec, _)? = effects.first else { Issue.record("no start effect"); return }
        #expect(spec.machine == seen[seen.count - 2])
    }

    @Test func formAndCommandLineShareTheCPULimit() {
        var s = imagesState([makeImage("hello")])
        press(&s, .character("s"), .tab, .tab, .control("u"))
        type(&s, "\(LaunchLimits.cpus.upperBound + 1)")
        #expect(press(&s, .enter).isEmpty)
        #expect(s.startForm?.error?.contains("expected a number from 1 to \(LaunchLimits.cpus.upperBound)") == true)
        press(&s, .control("u"))
        type(&s, "\(LaunchLimits.cpus.upperBound)")
        guard case .start(let spec, _)? = press(&s, .enter).first else { Issue.record("no start effect"); return }
        #expect(spec.cpus == LaunchLimits.cpus.upperBound)
    }

    @Test func aMalformedSidecarIsShownNotIgnored() {
        var image = makeImage("hello")
        image.sidecarError = "/images/hello.toml:1: 'cpus' must be between 1 and 64, not 99"
        var s = imagesState([image])
        press(&s, .character("s"))
        #expect(s.startForm == nil)
        #expect(s.status?.isError == true && s.status?.text.contains("hello.toml:1") == true)
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
