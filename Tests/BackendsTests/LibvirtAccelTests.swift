@testable import Backends
import CLibvirt
import Foundation
import Models
import Testing

/// The KVM decision (``KVMAccess``) and the reading of how a domain ended (``LibvirtEnding``):
/// pure functions over fake device descriptions and log texts.
struct LibvirtAccelTests {
    static let qemuUser = KVMAccess.Runner(user: "libvirt-qemu", uid: 64055, groups: [107, 64055], groupNames: ["kvm", "libvirt-qemu"])
    static func device(_ mode: UInt32, group: UInt32 = 0, groupName: String = "root") -> KVMAccess.Device {
        KVMAccess.Device(mode: mode, owner: 0, group: group, ownerName: "root", groupName: groupName)
    }

    @Test func kvmDecisionForEachDeviceMode() {
        // Root-only (a container without udev): QEMU as libvirt-qemu cannot open it.
        guard case .unusable(let cause, let fix) = KVMAccess.decide(device: Self.device(0o600), runner: Self.qemuUser) else {
            Issue.record("0600 root:root judged usable"); return
        }
        #expect(cause == "/dev/kvm is crw------- root:root and libvirt's QEMU runs as libvirt-qemu (groups kvm, libvirt-qemu)")
        #expect(fix.hasPrefix("chgrp kvm /dev/kvm && chmod 0660 /dev/kvm"))
        // Debian's udev mode, and world-writable.
        #expect(KVMAccess.decide(device: Self.device(0o660, group: 107, groupName: "kvm"), runner: Self.qemuUser) == .usable)
        #expect(KVMAccess.decide(device: Self.device(0o666), runner: Self.qemuUser) == .usable)
        // Absent.
        guard case .unusable(let absent, _) = KVMAccess.decide(device: nil, runner: Self.qemuUser) else {
            Issue.record("an absent device judged usable"); return
        }
        #expect(absent.contains("does not exist"))
        // Root opens anything that exists; the owner class decides before the group class.
        #expect(KVMAccess.decide(device: Self.device(0o600), runner: .init(user: "root", uid: 0, groups: [0], groupNames: ["root"])) == .usable)
        var owned = Self.device(0o066, group: 107, groupName: "kvm")
        owned.owner = 64055
        #expect(KVMAccess.decide(device: owned, runner: Self.qemuUser) != .usable, "owner without rw is refused even if the group has it")
        guard case .unusable(_, let gfix) = KVMAccess.decide(device: Self.device(0o640, group: 64055, groupName: "libvirt-qemu"),
                                                          runner: .init(user: "qemu", uid: 5, groups: [64055], groupNames: ["libvirt-qemu"])) else {
            Issue.record("group read-only judged usable"); return
        }
        #expect(gfix == "chmod g+rw /dev/kvm")
        var notChar = Self.device(0o666)
        notChar.isCharacterDevice = false
        #expect(KVMAccess.decide(device: notChar, runner: Self.qemuUser) != .usable)
    }

    @Test func qemuConfUserAndGroupAreRead() throws {
        let conf = """
        # user = "nobody"
        user = "qemu"   # who runs QEMU
          group="+107"
        dynamic_ownership = 1
        """
        #expect(KVMAccess.parseQEMUConf(conf) == ["user": "qemu", "group": "+107"])
        #expect(KVMAccess.resolveGroup("+107") == 107)
        // This machine: the packaged default user, with its supplementary groups.
        let dir = NSTemporaryDirectory() + "lvconf-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "user = \"root\"\n".write(toFile: dir + "/qemu.conf", atomically: true, encoding: .utf8)
        let root = KVMAccess.systemQEMU(qemuConf: dir + "/qemu.conf")
        #expect(root.uid == 0)
        #expect(root.user == "root")
        if getpwnam("libvirt-qemu") != nil {
            let deflt = KVMAccess.systemQEMU(qemuConf: dir + "/missing.conf")
            #expect(deflt.user == "libvirt-qemu")
            #expect(deflt.groupNames.contains("libvirt-qemu"))
            if let pw = getpwnam("libvirt-qemu"), let kvm = getgrnam("kvm"), pw.pointee.pw_gid == kvm.pointee.gr_gid {
                #expect(deflt.groupNames.contains("kvm"), "its primary group counts, as in libvirt")
            }
        }
    }

    @Test func endingReadsTheSameFromTheEventAndFromLibvirtsLog() {
        func log(_ lines: String) -> Substring {
            Substring("2026-12-05 06:49:57.732+0000: starting up libvirt version: 9.0.0, qemu version: 7.2\nLC_ALL=C ...\n" + lines)
        }
        let failed = LibvirtEnding.fromLog(log("2026-12-05 06:50:27.714+0000: shutting down, reason=crashed\n"))
        #expect(failed == LibvirtEnding(stoppedDetail: Int32(VIR_DOMAIN_EVENT_STOPPED_FAILED.rawValue)))
        #expect(failed?.outcome.state == .exited)
        #expect(failed?.outcome.exitCode == nil, "libvirt does not report QEMU's exit status")
        let panicked = LibvirtEnding.fromLog(log("""
            2026-12-05 06:50:29.296+0000: shutting down, reason=crashed
            2026-12-05T06:50:29.297017Z qemu-system-x86_64: terminating on signal 15 from pid 11719 (/usr/sbin/libvirtd)
            """))
        #expect(panicked == LibvirtEnding(stoppedDetail: Int32(VIR_DOMAIN_EVENT_STOPPED_CRASHED.rawValue)))
        #expect(panicked?.outcome.state == .crashed)
        let off = LibvirtEnding.fromLog(log("qemu-system-x86_64: terminating on signal 15\n2026-12-05 06:50:28.732+0000: shutting down, reason=shutdown\n"))
        #expect(off == LibvirtEnding(stoppedDetail: Int32(VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN.rawValue)))
        #expect(off?.outcome.exitCode == 0)
        #expect(LibvirtEnding.fromLog(log("x: shutting down, reason=destroyed\n")) == .destroyed)
        // Only the last run counts; a run still going has no ending yet.
        let twoRuns = log("x: shutting down, reason=destroyed\n") + log("char device redirected to /dev/pts/0\n")
        #expect(LibvirtEnding.fromLog(twoRuns) == nil)
        #expect(LibvirtEnding.fromLog("") == nil)
    }

    @Test func accelNoteIsKeptInTheMetadataAndEncoded() throws {
        let m = DomainMetadata(image: "/i", kernelCopy: nil, append: "", machine: "pc", accel: "tcg",
                               startedAt: Date(timeIntervalSince1970: 0), logPath: "/l", accelNote: "TCG: KVM unusable: <why>")
        #expect(DomainMetadata.parse(m.xmlElement()) == m)
        var inst = Instance(name: "a", backend: .libvirt, host: "system", image: "/i", state: .running, memoryMiB: 32, cpus: 1)
        let plain = String(decoding: try JSONEncoder().encode(inst), as: UTF8.self)
        #expect(plain.contains("\"accelNote\":null"))
        inst.accelNote = "TCG: why"
        let data = try JSONEncoder().encode(inst)
        #expect(try JSONDecoder().decode(Instance.self, from: data).accelNote == "TCG: why")
    }
}
