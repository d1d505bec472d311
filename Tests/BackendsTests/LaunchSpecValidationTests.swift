import Backends
import Foundation
import Models
import Testing
import UnitopTesting

/// Both backends check the spec they receive with the one set of limits (``LaunchLimits``), so a
/// spec built anywhere (not only by the resolver) is refused the same way, before anything starts.
@Suite(.serialized) struct LaunchSpecValidationTests {
    /// Specs just outside each limit, and the error ``LaunchLimits/validate(_:)`` gives for them.
    func badSpecs(image: String) -> [(LaunchSpec, UnitopError)] {
        let specs = [
            LaunchSpec(name: "v1", imagePath: image, cpus: LaunchLimits.cpus.upperBound + 1, accel: .tcg),
            LaunchSpec(name: "v2", imagePath: image, cpus: 0, accel: .tcg),
            LaunchSpec(name: "v3", imagePath: image, memoryMiB: 0, accel: .tcg),
            LaunchSpec(name: "v4", imagePath: image, machine: "virt", accel: .tcg),
            LaunchSpec(name: "v5", imagePath: image, append: "a\nb", accel: .tcg),
            LaunchSpec(name: "v6", imagePath: image, append: String(repeating: "x", count: LaunchLimits.maxAppendBytes + 1), accel: .tcg),
        ]
        return specs.map { ($0, limitError($0)) }
    }

    func limitError(_ spec: LaunchSpec) -> UnitopError {
        do throws(UnitopError) {
            try LaunchLimits.validate(spec)
            return .failed("valid")
        } catch {
            return error
        }
    }

    @Test func qemuBackendRefusesWhatTheLimitsRefuse() async throws {
        let env = try QEMUTestEnvironment()
        defer { env.cleanUp() }
        let image = try env.spec("hello", name: "x").imagePath
        for (spec, expected) in badSpecs(image: image) {
            #expect(expected != .failed("valid"), "\(spec) should be invalid")
            await #expect(throws: expected) { _ = try await env.backend.start(spec) }
        }
        #expect(try await env.backend.instances().isEmpty)
    }

    @Test func libvirtBackendRefusesWhatTheLimitsRefuse() async throws {
        let (backend, home) = try LibvirtTestSupport.backend("test:///default")
        defer { backend.close(); home.remove() }
        let before = try await backend.instances().count
        for (spec, expected) in badSpecs(image: "/nonexistent/kernel.elf") {
            await #expect(throws: expected) { _ = try await backend.start(spec) }
        }
        #expect(try await backend.instances().count == before)
    }
}
