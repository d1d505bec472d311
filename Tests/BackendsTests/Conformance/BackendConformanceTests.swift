import Foundation
import Models
import Testing
import UnitopTesting

/// One set of behaviour tests, run against every backend (``ConformanceSubject/all``): what the
/// ``UnikernelBackend`` protocol promises, checked the same way on qemu, libvirt and the fake.
/// Where a backend truly cannot know something it says so in ``BackendCapabilities``, and the test
/// checks that it then reports nothing rather than a guess.
@Suite(.serialized)
struct BackendConformanceTests {
    @Test(arguments: ConformanceSubject.all)
    func lifecycle(_ subject: ConformanceSubject) async throws {
        let h = try await subject.open()
        let b = h.backend
        let name = h.uniqueName("life")
        try await h.withCleanup([name]) {

            let started = try await b.start(h.spec("hello", name: name, append: "heartbeat_ms=200"))
            #expect(started.name == name && started.backend == b.kind && started.host == b.host)
            #expect(started.state.isActive)
            #expect(try await b.instances().contains { $0.name == name && $0.state.isActive })
            let console = ConsoleRecorder(b.console(name, history: .all, follow: true))
            defer { console.cancel() }
            #expect(await console.wait(for: "hello: cmdline=heartbeat_ms=200"))

            // The same name again is refused while the first exists.
            await #expect(throws: UnitopError.instanceExists(name)) { _ = try await b.start(h.spec("hello", name: name)) }

            try await b.pause(name)
            #expect(await h.waitFor(name) { $0.state == .paused } != nil, "pause")
            await #expect(throws: UnitopError.self) { try await b.pause(name) }
            try await b.resume(name)
            #expect(await h.waitFor(name) { $0.state == .running } != nil, "resume")

            // Restart boots the guest again: a second banner on the same, still open, console.
            try await b.restart(name)
            let twice = await Wait.until(timeout: 30) { console.text.components(separatedBy: "unitop-fixture hello booted").count == 3 }
            #expect(twice, "restart boots again; console so far: \(console.text.suffix(300))")
            #expect(await h.waitFor(name) { $0.state == .running } != nil)

            // hello ignores ACPI: the graceful stop escalates after its timeout.
            try await b.stop(name, timeoutSeconds: 1)
            let stopped = try #require(await h.waitFor(name, timeout: 30) { $0.state.isFinished })
            #expect(stopped.state == .stopped, "an escalated stop is stopped, not \(stopped.state)")
            #expect(stopped.exitReason?.isEmpty == false, "the reason is recorded")
            #expect(stopped.exitCode == nil)
            #expect(await Wait.until(timeout: 10) { console.finished }, "the console stream ends with the instance")
            #expect(try await b.instances().contains { $0.name == name && $0.state == .stopped }, "finished instances stay listed")

            try await b.remove(name, force: false)
            await #expect(throws: UnitopError.instanceNotFound(name)) { _ = try await b.instance(named: name) }
        }
    }

    @Test(arguments: ConformanceSubject.all)
    func killAndForcedRemove(_ subject: ConformanceSubject) async throws {
        let h = try await subject.open()
        let b = h.backend
        let killed = h.uniqueName("kill"), forced = h.uniqueName("force")
        try await h.withCleanup([killed, forced]) {

            _ = try await b.start(h.spec("idle", name: killed))
            try await b.kill(killed)
            let k = try #require(await h.waitFor(killed) { $0.state.isFinished })
            #expect(k.state == .stopped && k.exitReason?.isEmpty == false)
            await #expect(throws: UnitopError.self) { try await b.kill(killed) }

            _ = try await b.start(h.spec("idle", name: forced))
            await #expect(throws: UnitopError.self) { try await b.remove(forced, force: false) }
            #expect(try await b.instance(named: forced).state.isActive, "a refused remove leaves the instance running")
            try await b.remove(forced, force: true)
            await #expect(throws: UnitopError.instanceNotFound(forced)) { _ = try await b.instance(named: forced) }
        }
    }

    /// History then live, from one call: every heartbeat exactly once, in order, from the banner on.
    @Test(arguments: ConformanceSubject.all)
    func consoleHistoryMeetsLiveWithoutLossOrDoubling(_ subject: ConformanceSubject) async throws {
        let h = try await subject.open()
        let b = h.backend
        let name = h.uniqueName("seam")
        try await h.withCleanup([name]) {

            _ = try await b.start(h.spec("hello", name: name, append: "heartbeat_ms=20"))
            let early = ConsoleRecorder(b.console(name, history: .all, follow: true))
            defer { early.cancel() }
            #expect(await early.wait(for: "heartbeat 5\r\n"), "history so far: \(early.text.suffix(200))")
            // A viewer that joins while output flows: its history and live parts must meet exactly.
            let late = ConsoleRecorder(b.console(name, history: .all, follow: true))
            defer { late.cancel() }
            #expect(await late.wait(for: "heartbeat 20\r\n", timeout: 60))
            for recorder in [early, late] {
                let text = recorder.text
                #expect(text.hasPrefix("unitop-fixture hello booted\r\n"), "from the first byte of boot")
                let beats = text.components(separatedBy: "\r\n").compactMap { line -> Int? in
                    line.hasPrefix("heartbeat ") ? Int(line.dropFirst("heartbeat ".count)) : nil
                }
                #expect(Array(beats.prefix(20)) == Array(1...20), "heartbeats lost or doubled: \(beats.prefix(60))")
            }

            let tail = ConsoleRecorder(b.console(name, history: .tail(bytes: 12), follow: false))
            #expect(await Wait.until(timeout: 10) { tail.finished })
            #expect(tail.bytes.count == 12)
            let none = ConsoleRecorder(b.console(name, history: .none, follow: false))
            #expect(await Wait.until(timeout: 10) { none.finished })
            #expect(none.bytes.isEmpty)
        }
    }

    @Test(arguments: ConformanceSubject.all)
    func inputReachesTheGuest(_ subject: ConformanceSubject) async throws {
        let h = try await subject.open()
        let b = h.backend
        let name = h.uniqueName("input")
        try await h.withCleanup([name]) {

            _ = try await b.start(h.spec("hello", name: name, append: "heartbeat=0"))
            let console = ConsoleRecorder(b.console(name, history: .all, follow: true))
            defer { console.cancel() }
            #expect(await console.wait(for: "hello: cmdline="))
            try await b.sendConsoleInput(name, bytes: Array("hi there\r".utf8))
            #expect(await console.wait(for: "you typed: hi there\r\n"), "console: \(console.text.suffix(200))")
            await #expect(throws: UnitopError.self) { try await b.sendConsoleInput(h.uniqueName("nobody"), bytes: [0x41]) }
        }
    }

    /// A new subscriber learns the current instances from the stream itself, without listing.
    @Test(arguments: ConformanceSubject.all)
    func eventsReplayCurrentInstancesOnSubscription(_ subject: ConformanceSubject) async throws {
        let h = try await subject.open()
        let b = h.backend
        let name = h.uniqueName("replay")
        try await h.withCleanup([name]) {

            _ = try await b.start(h.spec("idle", name: name))
            let events = EventRecorder(b.events())
            defer { events.cancel() }
            #expect(await Wait.until(timeout: 15) { events.saw(name) { $0.state.isActive } }, "no replay of \(name): \(events.events)")

            try await b.pause(name)
            #expect(await Wait.until(timeout: 15) { events.saw(name) { $0.state == .paused } }, "pause is an event")
            try await b.kill(name)
            #expect(await Wait.until(timeout: 15) { events.saw(name) { $0.state.isFinished } }, "the end is an event")
        }
    }

    /// The guest's own exit: a backend with exit codes reports the code; one without reports none
    /// (never a made-up 0), and the instance is finished either way.
    @Test(arguments: ConformanceSubject.all)
    func guestExitIsReportedOrDeclaredUnknown(_ subject: ConformanceSubject) async throws {
        let h = try await subject.open()
        let b = h.backend
        let name = h.uniqueName("exit")
        try await h.withCleanup([name]) {

            _ = try await b.start(h.spec("exit", name: name, append: "code=3"))
            let done = try #require(await h.waitFor(name, timeout: 30) { $0.state.isFinished })
            if b.capabilities.exitCodes {
                #expect(done.state == .exited && done.exitCode == 3, "\(done.state) \(String(describing: done.exitCode))")
            } else {
                #expect(done.exitCode == nil, "no exit codes on \(b.kind), yet \(String(describing: done.exitCode))")
            }
            #expect(done.exitReason?.isEmpty == false)
        }
    }

    @Test(arguments: ConformanceSubject.all)
    func errorsNameTheProblem(_ subject: ConformanceSubject) async throws {
        let h = try await subject.open()
        let b = h.backend
        let ghost = h.uniqueName("ghost")
        try await h.withCleanup([ghost]) {

            await #expect(throws: UnitopError.instanceNotFound(ghost)) { _ = try await b.instance(named: ghost) }
            await #expect(throws: UnitopError.instanceNotFound(ghost)) { try await b.stop(ghost, timeoutSeconds: 1) }
            await #expect(throws: UnitopError.instanceNotFound(ghost)) { try await b.remove(ghost, force: false) }
            await #expect(throws: UnitopError.self) { try await b.resume(ghost) }
            var missing = try h.spec("idle", name: ghost)
            missing.imagePath = "/nonexistent/unitop-image.elf"
            await #expect(throws: UnitopError.self) { _ = try await b.start(missing) }
            #expect(try await !b.instances().contains { $0.name == ghost }, "a failed start leaves nothing behind")
            let console = ConsoleRecorder(b.console(ghost, history: .all, follow: false))
            #expect(await Wait.until(timeout: 10) { console.finished })
            #expect(console.error as? UnitopError == .instanceNotFound(ghost))
        }
    }
}
