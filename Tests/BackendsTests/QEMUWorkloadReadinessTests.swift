import Foundation
import Models
@testable import QEMUMonitor
import Testing
import UnitopTesting

/// The readiness probe's bookkeeping, without a guest: when it has something to do, how it
/// counts connections slirp listed before a reset, and that a look on its way never makes the
/// monitor's loop spin. (QEMUWorkloadTests measures it against a real guest.)
@Suite struct QEMUWorkloadReadinessTests {
    func spec(_ port: Int, network: NetworkMode = .user) -> LaunchSpec {
        LaunchSpec(name: "r", imagePath: "/k", network: network, ports: [PortMapping(hostPort: port, guestPort: 80)])
    }

    @Test func onlyAPublishedTCPPortOnUserNetworkingIsProbed() {
        #expect(ReadinessProbe(spec: LaunchSpec(name: "r", imagePath: "/k"), afterReset: false) == nil)
        #expect(ReadinessProbe(spec: spec(8080, network: .tap("tap0")), afterReset: false) == nil)
        var udp = spec(8080)
        udp.ports[0].protocol = .udp
        #expect(ReadinessProbe(spec: udp, afterReset: false) == nil)
        let wildcard = LaunchSpec(name: "r", imagePath: "/k", network: .user,
                                  ports: [PortMapping(hostAddress: "0.0.0.0", hostPort: 8080, guestPort: 80)])
        #expect(ReadinessProbe(spec: wildcard, afterReset: false)?.address == "127.0.0.1")
    }

    @Test func aFirstBootConnectsAtOnceAndAnyAcceptanceCounts() throws {
        let listener = try WorkloadTest.Listener()
        defer { listener.close() }
        let probe = try #require(ReadinessProbe(spec: spec(listener.port), afterReset: false))
        defer { probe.closeConnection() }
        #expect(probe.millisecondsUntilDue() == 0)
        #expect(probe.due() == .nothing && probe.fd >= 0, "the first round opens the connection")
        #expect(probe.connects == 1)
        #expect(probe.accepted(count: 0) == false)
        #expect(probe.accepted(count: 1) == true)
    }

    @Test func afterAResetOnlyNewAcceptancesCount() throws {
        let listener = try WorkloadTest.Listener()
        defer { listener.close() }
        let probe = try #require(ReadinessProbe(spec: spec(listener.port), afterReset: true))
        defer { probe.closeConnection() }
        // First a look without a connection: what slirp still lists from before the reset.
        #expect(probe.due() == .look && probe.fd < 0)
        probe.queryInFlight = true
        #expect(probe.millisecondsUntilDue() > 1000, "a look on its way: nothing to do until its answer")
        probe.queryInFlight = false
        #expect(probe.accepted(count: 2) == false)
        #expect(probe.baseline == 2)
        #expect(probe.due() == .nothing && probe.fd >= 0, "then the probe connects")
        #expect(probe.accepted(count: 2) == false, "the old connections are not the guest's answer")
        #expect(probe.accepted(count: 1) == false && probe.baseline == 1, "one of them timed out")
        #expect(probe.accepted(count: 2) == true)
    }

    @Test func aPendingLookNeverMakesTheLoopSpin() throws {
        let listener = try WorkloadTest.Listener()
        defer { listener.close() }
        var schedule = ReadinessSchedule()
        schedule.reconnectAfter = .milliseconds(1)
        let probe = try #require(ReadinessProbe(spec: spec(listener.port), afterReset: false, schedule: schedule))
        defer { probe.closeConnection() }
        _ = probe.due()
        probe.queryInFlight = true
        let later = ContinuousClock.now + .milliseconds(50)
        #expect(probe.due(now: later) == .nothing)
        #expect(probe.millisecondsUntilDue(now: later) > 1000, "reconnect waits for the look's answer")
    }
}
