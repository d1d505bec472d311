@testable import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// Benchmark (not a test of timing): `LibvirtBackend.instances()` against `virsh list --all`
/// with 50 idle domains. Runs only with `UNITOP_LIBVIRT_BENCH=1`; prints medians. Part of
/// ``LibvirtSystemTests`` so it never runs while another test uses libvirtd.
extension LibvirtSystemTests {
    static let benchDomainCount = 50
    static let benchRuns = 20

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["UNITOP_LIBVIRT_BENCH"] == "1"))
    func instancesVersusVirshListWith50Domains() async throws {
        try await Self.requireLibvirtd()
        let image = try Self.fixture("idle")
        let (b, home) = try LibvirtTestSupport.backend(Self.uri)
        let names = (0..<Self.benchDomainCount).map { String(format: "ut-bench-%02d", $0) }
        defer {
            for n in names { Self.cleanup(n) }
            b.close()
            home.remove()
        }
        let t0 = Date()
        for n in names {
            _ = try await b.start(LaunchSpec(name: n, imagePath: image, memoryMiB: 32, accel: .tcg))
        }
        let startSeconds = Date().timeIntervalSince(t0)

        // Cold: a new backend (connect + first listing, which reads every domain's metadata once).
        var cold: [Double] = []
        for _ in 0..<5 {
            let (fresh, h) = try LibvirtTestSupport.backend(Self.uri)
            let t = Date()
            let list = try await fresh.instances()
            cold.append(Date().timeIntervalSince(t) * 1000)
            #expect(list.filter { $0.name.hasPrefix("ut-bench-") }.count == Self.benchDomainCount)
            fresh.close(); h.remove()
        }
        // Warm: the same backend listing again.
        var warm: [Double] = []
        for _ in 0..<Self.benchRuns {
            let t = Date()
            let list = try await b.instances()
            warm.append(Date().timeIntervalSince(t) * 1000)
            #expect(list.filter { $0.name.hasPrefix("ut-bench-") && $0.state == .running }.count == Self.benchDomainCount)
        }
        var virsh: [Double] = []
        for _ in 0..<Self.benchRuns {
            let t = Date()
            let r = try Run.command(["virsh", "-c", Self.uri, "list", "--all"], timeout: 60)
            virsh.append(Date().timeIntervalSince(t) * 1000)
            #expect(r.stdout.components(separatedBy: "ut-bench-").count - 1 == Self.benchDomainCount)
        }
        print(String(format: "BENCH libvirt %d domains: started in %.1f s; instances() cold (new connection) median %.1f ms; warm median %.1f ms (n=%d); `virsh -c qemu:///system list --all` median %.1f ms (n=%d)",
                     Self.benchDomainCount, startSeconds, Self.median(cold), Self.median(warm), Self.benchRuns, Self.median(virsh), Self.benchRuns))
    }
}
