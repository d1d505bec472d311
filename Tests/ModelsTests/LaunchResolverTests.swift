import Models
import Testing

/// The one launch resolver: flag > sidecar > config > default, every value checked against the
/// one set of limits, errors naming where the bad value came from.
@Suite struct LaunchResolverTests {
    func qemu(machine: String = "pc", accel: Accel = .auto, cpu: String? = nil) -> QEMUSettings {
        var q = QEMUSettings()
        q.machine = machine; q.accel = accel; q.cpu = cpu
        return q
    }

    @Test func defaultsWhenNothingIsGiven() throws {
        let spec = try LaunchResolver().resolve(name: "a", imagePath: "/i/a.elf", sidecar: nil)
        #expect(spec == LaunchSpec(name: "a", imagePath: "/i/a.elf", memoryMiB: 64, cpus: 1, append: "",
                                   machine: "pc", accel: .auto, cpuModel: nil, persist: false))
    }

    @Test func precedenceFlagThenSidecarThenConfigThenDefault() throws {
        let resolver = LaunchResolver(qemu: qemu(machine: "q35", accel: .tcg, cpu: "qemu64"))
        let sidecar = ImageDefaults(memoryMiB: 96, cpus: 2, machine: "microvm", append: "from=sidecar")
        // Config only (machine, accel, CPU model): the config beats the defaults.
        let configOnly = try resolver.resolve(name: "a", imagePath: "/i", sidecar: nil)
        #expect(configOnly.machine == "q35" && configOnly.accel == .tcg && configOnly.cpuModel == "qemu64")
        #expect(configOnly.memoryMiB == 64 && configOnly.cpus == 1 && configOnly.append == "")
        // The sidecar beats the config.
        let fromSidecar = try resolver.resolve(name: "a", imagePath: "/i", sidecar: sidecar)
        #expect(fromSidecar.memoryMiB == 96 && fromSidecar.cpus == 2 && fromSidecar.machine == "microvm")
        #expect(fromSidecar.append == "from=sidecar" && fromSidecar.accel == .tcg)
        // Flags beat everything, field by field.
        let flags = LaunchOverrides(memoryMiB: 128, cpus: 4, append: "from=flag", machine: "pc", accel: .kvm, persist: true)
        let fromFlags = try resolver.resolve(name: "a", imagePath: "/i", sidecar: sidecar, overrides: flags)
        #expect(fromFlags == LaunchSpec(name: "a", imagePath: "/i", memoryMiB: 128, cpus: 4, append: "from=flag",
                                        machine: "pc", accel: .kvm, cpuModel: "qemu64", persist: true))
        // One flag only: the rest still falls through.
        let oneFlag = try resolver.resolve(name: "a", imagePath: "/i", sidecar: sidecar, overrides: LaunchOverrides(cpus: 3))
        #expect(oneFlag.cpus == 3 && oneFlag.memoryMiB == 96 && oneFlag.machine == "microvm")
        // An explicit `auto` beats the config's accel.
        let auto = try resolver.resolve(name: "a", imagePath: "/i", sidecar: nil, overrides: LaunchOverrides(accel: .auto))
        #expect(auto.accel == .auto)
    }

    @Test func limitsAreTheSameOnEveryPath() throws {
        let resolver = LaunchResolver()
        let top = LaunchLimits.cpus.upperBound
        // Typed (flag or form), given as a number, from a sidecar, in a spec: one range.
        #expect(try LaunchLimits.parseCPUs("\(top)") == top)
        #expect(throws: UnitopError.self) { try LaunchLimits.parseCPUs("\(top + 1)") }
        #expect(throws: UnitopError.self) { try LaunchLimits.parseCPUs("0") }
        #expect(throws: UnitopError.self) { try resolver.resolve(name: "a", imagePath: "/i", sidecar: nil, overrides: LaunchOverrides(cpus: top + 1)) }
        #expect(throws: UnitopError.self) { try SidecarLoader.parse("cpus = \(top + 1)\n", file: "s.toml") }
        #expect(try SidecarLoader.parse("cpus = \(top)\n", file: "s.toml").cpus == top)
        #expect(throws: UnitopError.self) { try LaunchLimits.validate(LaunchSpec(name: "a", imagePath: "/i", cpus: top + 1)) }
        try LaunchLimits.validate(LaunchSpec(name: "a", imagePath: "/i", cpus: top))
        // Machines: the same list for flags, sidecars, the config and specs.
        for m in LaunchLimits.machines {
            #expect(try LaunchLimits.checkMachine(m) == m)
            #expect(try SidecarLoader.parse("machine = \"\(m)\"\n", file: "s.toml").machine == m)
            try LaunchLimits.validate(LaunchSpec(name: "a", imagePath: "/i", machine: m))
        }
        #expect(throws: UnitopError.self) { try LaunchLimits.checkMachine("virt") }
        #expect(throws: UnitopError.self) { try SidecarLoader.parse("machine = \"virt\"\n", file: "s.toml") }
        #expect(throws: UnitopError.self) { try ConfigLoader.parse("[qemu]\nmachine = \"virt\"\n", file: "c.toml") }
        #expect(throws: UnitopError.self) { try LaunchLimits.validate(LaunchSpec(name: "a", imagePath: "/i", machine: "virt")) }
        // Memory and the kernel command line.
        #expect(try LaunchLimits.parseMemory(" 1G ") == 1024)
        #expect(throws: UnitopError.self) { try LaunchLimits.validate(LaunchSpec(name: "a", imagePath: "/i", memoryMiB: 0)) }
        let long = String(repeating: "x", count: LaunchLimits.maxAppendBytes + 1)
        #expect(throws: UnitopError.self) { try LaunchLimits.checkAppend(long) }
        #expect(throws: UnitopError.self) { try LaunchLimits.checkAppend("a\nb") }
        #expect(throws: UnitopError.self) { try LaunchLimits.validate(LaunchSpec(name: "a", imagePath: "/i", append: long)) }
        #expect(throws: UnitopError.self) { try LaunchLimits.validate(LaunchSpec(name: "../x", imagePath: "/i")) }
        // Accelerators.
        #expect(try LaunchLimits.parseAccel("TCG") == .tcg)
        #expect(throws: UnitopError.self) { try LaunchLimits.parseAccel("hvf") }
    }

    @Test func errorsNameWhereTheBadValueCameFrom() {
        let resolver = LaunchResolver()
        let sidecar = ImageDefaults(append: "a\nb")
        #expect(throws: UnitopError.invalidArgument("kernel command line in the image sidecar must be one line (no NUL, CR or LF)")) {
            try resolver.resolve(name: "a", imagePath: "/i", sidecar: sidecar)
        }
        #expect(throws: UnitopError.invalidArgument("invalid cpus 65 in the image sidecar: expected 1 to 64")) {
            try resolver.resolve(name: "a", imagePath: "/i", sidecar: ImageDefaults(cpus: 65))
        }
        var q = QEMUSettings(); q.machine = "virt"
        #expect(throws: UnitopError.invalidArgument("invalid machine 'virt' in the config ([qemu]): expected pc, q35 or microvm")) {
            try LaunchResolver(qemu: q).resolve(name: "a", imagePath: "/i", sidecar: nil)
        }
        #expect(throws: UnitopError.invalidArgument("invalid cpus 0 in the launch spec of 'a': expected 1 to 64")) {
            try LaunchLimits.validate(LaunchSpec(name: "a", imagePath: "/i", cpus: 0))
        }
    }
}
