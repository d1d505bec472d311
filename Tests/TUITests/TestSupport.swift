import Foundation
import Models
@testable import TUI

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func makeInstance(_ name: String, state: InstanceState = .running, host: String = "local", backend: BackendKind = .qemu,
                  image: String = "/images/hello.elf", cpus: Int = 1, memory: Int = 64,
                  startedAt: Date? = t0.addingTimeInterval(-125), exitCode: Int? = nil, exitReason: String? = nil,
                  stopDeadline: Date? = nil, cpu: Double? = nil, rss: UInt64? = nil, boot: Double? = 41) -> Instance {
    Instance(name: name, backend: backend, host: host, image: image, state: state, stopDeadline: stopDeadline,
             pid: state.isActive ? 1234 : nil, memoryMiB: memory, cpus: cpus, startedAt: startedAt, bootMillis: boot,
             exitCode: exitCode, exitReason: exitReason,
             stats: cpu.map { InstanceStats(cpuPercent: $0, rssBytes: rss) }, accel: "tcg", machine: "pc", append: "",
             commandLine: ["qemu-system-x86_64", "-kernel", "/images/hello.elf", "-append", "a b"])
}

/// A state with the given instances loaded, sized `width`×`height`, clock at `t0`.
func makeState(_ instances: [Instance], width: Int = 120, height: Int = 30, readonly: Bool = false,
               unicode: Bool = true) -> AppState {
    var s = AppState()
    s.width = width; s.height = height
    s.now = t0
    s.readonly = readonly
    s.capabilities = TerminalCapabilities(colors: 256, unicode: unicode)
    s.backends = [BackendRef(kind: .qemu, host: "local")]
    _ = reduce(&s, .instancesLoaded(BackendRef(kind: .qemu, host: "local"), instances))
    return s
}

@discardableResult
func press(_ s: inout AppState, _ keys: Key...) -> [Effect] {
    var out: [Effect] = []
    for k in keys { out += reduce(&s, .key(k)) }
    return out
}

@discardableResult
func type(_ s: inout AppState, _ text: String) -> [Effect] {
    var out: [Effect] = []
    for c in text { out += reduce(&s, .key(.character(c))) }
    return out
}

func screen(_ s: AppState) -> [String] { Renderer.render(s).lines }
func screenText(_ s: AppState) -> String { screen(s).joined(separator: "\n") }

func makeImage(_ name: String, bootable: Bool = true, defaults: ImageDefaults? = nil, reason: String? = nil) -> Image {
    Image(name: name, path: "/images/\(name).elf", format: bootable ? .multiboot : .unknown, arch: "x86_64",
          sizeBytes: 12_345, modifiedAt: t0, bootable: bootable, reason: reason, defaults: defaults)
}

/// Non-console effects only (console opening is incidental to most tests).
func actions(_ effects: [Effect]) -> [Effect] {
    effects.filter { if case .openConsole = $0 { return false }; if case .closeConsole = $0 { return false }; return true }
}
