import Foundation
import Models
import Testing
@testable import TUI

/// What a backend cannot report reads "n/a (libvirt)" in the table and the details, not the dash
/// that means "not known yet".
@Suite struct CapabilityGapTests {
    let libvirt = BackendRef(kind: .libvirt, host: "system")
    let none = BackendCapabilities(exitCodes: false, bootTime: false, processID: false)

    func state(_ instances: [Instance]) -> AppState {
        let options = TUIOptions(readonly: false, theme: nil, config: Config(),
                                 paths: UnitopPaths.resolve(environment: ["UNITOP_HOME": "/nonexistent"]), environment: [:])
        var s = TUIApp.initialState(backends: [BackendRef(kind: .qemu, host: "local"), libvirt], options: options,
                                    capabilities: TerminalCapabilities(colors: 256, unicode: true), size: (140, 40),
                                    backendCapabilities: [libvirt: none, BackendRef(kind: .qemu, host: "local"): .all])
        s.now = t0
        _ = reduce(&s, .instancesLoaded(libvirt, instances.filter { $0.backend == .libvirt }))
        _ = reduce(&s, .instancesLoaded(BackendRef(kind: .qemu, host: "local"), instances.filter { $0.backend == .qemu }))
        return s
    }

    func libvirtInstance(_ name: String, state: InstanceState) -> Instance {
        var i = makeInstance(name, state: state, host: "system", backend: .libvirt, boot: nil)
        i.pid = nil
        return i
    }

    @Test func detailsSayWhatTheBackendCannotKnow() throws {
        var s = state([libvirtInstance("lv", state: .running)])
        press(&s, .character("i"))
        let text = screenText(s)
        #expect(text.contains("PID") && text.range(of: #"PID\s+n/a \(libvirt\)"#, options: .regularExpression) != nil, "\(text)")
        #expect(text.range(of: #"Boot\s+n/a \(libvirt\)"#, options: .regularExpression) != nil, "\(text)")
    }

    @Test func exitedWithoutACodeOnLibvirtSaysSo() throws {
        var s = state([libvirtInstance("lv", state: .exited)])
        let table = screenText(s)
        #expect(table.contains("✓ exited, code n/a"), "\(table)")
        press(&s, .character("i"))
        #expect(screenText(s).range(of: #"Exit code\s+n/a \(libvirt\)"#, options: .regularExpression) != nil)
    }

    @Test func tableBootColumnShowsNotAvailableForLibvirtButADashForQEMUNotYetBooted() throws {
        let qemuStarting = makeInstance("q", state: .starting, boot: nil)
        let s = state([libvirtInstance("lv", state: .running), qemuStarting])
        let lines = screen(s)
        // BOOT is right-aligned: its cells end where its title ends.
        let header = lines[2]
        let end = try #require(header.range(of: "BOOT")).upperBound
        let width = header.distance(from: header.startIndex, to: end)
        func boot(_ line: String) -> String { String(line.prefix(width)) }
        let lv = try #require(lines.first { $0.contains(" lv ") })
        let q = try #require(lines.first { $0.contains(" q ") })
        #expect(boot(lv).hasSuffix("n/a"), "\(lv)")
        #expect(!q.contains("n/a"), "\(q)")
        #expect(boot(q).hasSuffix("—"), "\(q)")
    }
}
