import Foundation

/// Whether the QEMU that libvirt starts can open `/dev/kvm`.
///
/// libvirt's host capabilities list KVM whenever `/dev/kvm` exists, even when the user libvirt
/// runs QEMU as cannot open it (a container without udev leaves it `0600 root:root`); the start
/// then fails with "Could not access KVM kernel module". So for local URIs the decision is made
/// from the device itself and from the user and groups QEMU runs as (`/etc/libvirt/qemu.conf`
/// for `qemu:///system`, this process for `qemu:///session`), by the POSIX permission rules.
/// A stat and a few user database lookups: microseconds, whatever the device mode.
enum KVMAccess {
    /// What matters about the device node.
    struct Device: Sendable, Equatable {
        var mode: UInt32
        var owner: UInt32
        var group: UInt32
        var ownerName: String
        var groupName: String
        var isCharacterDevice: Bool = true

        /// `crw-rw---- root:kvm`.
        var listing: String {
            let bits = "rwxrwxrwx"
            var s = isCharacterDevice ? "c" : "-"
            for (i, ch) in bits.enumerated() { s.append(mode & (0o400 >> UInt32(i)) != 0 ? ch : "-") }
            return "\(s) \(ownerName):\(groupName)"
        }
    }

    /// The identity QEMU runs as.
    struct Runner: Sendable, Equatable {
        var user: String
        var uid: UInt32
        /// Primary and supplementary groups.
        var groups: [UInt32]
        var groupNames: [String]
    }

    enum Verdict: Sendable, Equatable {
        case usable
        /// `cause` says what is wrong, `fix` what makes it work.
        case unusable(cause: String, fix: String)
    }

    static let devicePath = "/dev/kvm"

    /// The decision, by the permission class POSIX applies (owner, else group, else other).
    static func decide(device: Device?, runner: Runner) -> Verdict {
        guard let device else {
            return .unusable(cause: "\(devicePath) does not exist (KVM module not loaded, or the device not passed into this container)",
                             fix: "load kvm_intel or kvm_amd, or pass \(devicePath) into the container")
        }
        guard device.isCharacterDevice else {
            return .unusable(cause: "\(devicePath) is not a character device (\(device.listing))", fix: "recreate it: mknod \(devicePath) c 10 232")
        }
        if runner.uid == 0 { return .usable }
        let rw: UInt32
        if device.owner == runner.uid {
            rw = (device.mode >> 6) & 0o6
        } else if runner.groups.contains(device.group) {
            rw = (device.mode >> 3) & 0o6
        } else {
            rw = device.mode & 0o6
        }
        if rw == 0o6 { return .usable }
        let who = "libvirt's QEMU runs as \(runner.user) (groups \(runner.groupNames.joined(separator: ", ")))"
        let fix: String
        if runner.groupNames.contains("kvm") {
            fix = "chgrp kvm \(devicePath) && chmod 0660 \(devicePath) (the mode Debian's udev rule gives it)"
        } else if runner.groups.contains(device.group) {
            fix = "chmod g+rw \(devicePath)"
        } else {
            fix = "add \(runner.user) to group \(device.groupName), or chmod 0666 \(devicePath)"
        }
        return .unusable(cause: "\(devicePath) is \(device.listing) and \(who)", fix: fix)
    }

    // MARK: - Reading this machine

    /// The device as it is now; nil when it does not exist.
    static func readDevice(_ path: String = devicePath) -> Device? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Device(mode: UInt32(st.st_mode) & 0o7777, owner: st.st_uid, group: st.st_gid,
                      ownerName: userName(st.st_uid), groupName: groupName(st.st_gid),
                      isCharacterDevice: (st.st_mode & S_IFMT) == S_IFCHR)
    }

    /// This process (a session URI: libvirt runs QEMU as the connecting user).
    static func currentProcess() -> Runner {
        let uid = geteuid()
        var groups = [gid_t](repeating: 0, count: Int(max(0, getgroups(0, nil))))
        let n = getgroups(Int32(groups.count), &groups)
        groups = Array(groups.prefix(Int(max(0, n))))
        if !groups.contains(getegid()) { groups.insert(getegid(), at: 0) }
        return Runner(user: userName(uid), uid: uid, groups: groups, groupNames: groups.map(groupName))
    }

    /// The QEMU user of the system daemon: `user`/`group` in `qemu.conf` (names or `+N`), else
    /// the packaged defaults (Debian: `libvirt-qemu`, whose primary group is `kvm`).
    static func systemQEMU(qemuConf: String = "/etc/libvirt/qemu.conf",
                           defaultUser: String = "libvirt-qemu", defaultGroup: String = "libvirt-qemu") -> Runner {
        let text = (try? String(contentsOfFile: qemuConf, encoding: .utf8)) ?? ""
        let settings = parseQEMUConf(text)
        let userSpec = settings["user"] ?? defaultUser
        let groupSpec = settings["group"] ?? defaultGroup
        let uid = resolveUser(userSpec) ?? UInt32.max
        let gid = resolveGroup(groupSpec) ?? UInt32.max
        // As libvirt's virGetGroupList: the user's groups from its passwd entry (primary group
        // and memberships), plus the configured group.
        var groups: [UInt32] = []
        if let pw = getpwuid(uid) {
            var count: Int32 = 64
            var list = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(pw.pointee.pw_name, pw.pointee.pw_gid, &list, &count) >= 0 {
                groups = Array(list.prefix(Int(count)))
            }
        }
        if !groups.contains(gid) { groups.append(gid) }
        let name = uid == UInt32.max ? userSpec : userName(uid)
        return Runner(user: name, uid: uid, groups: groups, groupNames: groups.map(groupName))
    }

    /// `key = "value"` lines of libvirt's config syntax (comments dropped); only string values.
    static func parseQEMUConf(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[1].count >= 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else { continue }
            out[parts[0]] = String(parts[1].dropFirst().dropLast())
        }
        return out
    }

    static func resolveUser(_ spec: String) -> UInt32? {
        if spec.hasPrefix("+") { return UInt32(spec.dropFirst()) }
        return getpwnam(spec).map { $0.pointee.pw_uid }
    }

    static func resolveGroup(_ spec: String) -> UInt32? {
        if spec.hasPrefix("+") { return UInt32(spec.dropFirst()) }
        return getgrnam(spec).map { $0.pointee.gr_gid }
    }

    static func userName(_ uid: UInt32) -> String {
        getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? String(uid)
    }

    static func groupName(_ gid: UInt32) -> String {
        getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? String(gid)
    }
}
