import Foundation

/// Whether the user libvirt runs QEMU as can use a file or folder, by the POSIX permission
/// classes (owner, else group, else other) of the path and of every folder above it, as
/// ``KVMAccess`` decides for /dev/kvm. ACLs are not read: a path an ACL opens is refused.
enum LibvirtFileAccess {
    struct Need: OptionSet, Sendable {
        let rawValue: UInt32
        static let read = Need(rawValue: 0o4)
        static let write = Need(rawValue: 0o2)
        /// Search (x) on the path itself (folders).
        static let search = Need(rawValue: 0o1)
    }

    /// nil when `runner` can search every folder above `path` and has `need` on the path itself;
    /// otherwise one line saying what is missing and how to fix it.
    static func problem(path: String, runner: KVMAccess.Runner, need: Need) -> String? {
        guard let real = realpath(path, nil) else {
            return "\(path): \(String(cString: strerror(errno)))"
        }
        let resolved = String(cString: real)
        free(real)
        if runner.uid == 0 { return nil }
        var prefix = ""
        var chain: [String] = ["/"]
        for part in resolved.split(separator: "/") {
            prefix += "/" + part
            chain.append(prefix)
        }
        for (i, p) in chain.enumerated() {
            let isLast = i == chain.count - 1
            let wanted = isLast ? need : .search
            if wanted.isEmpty { continue }
            var st = stat()
            guard stat(p, &st) == 0 else { return "\(p): \(String(cString: strerror(errno)))" }
            let granted = bits(st, runner)
            if granted & wanted.rawValue != wanted.rawValue {
                let what = isLast ? describe(wanted) : "search the folder"
                let listing = "\(modeString(UInt32(st.st_mode))) \(KVMAccess.userName(st.st_uid)):\(KVMAccess.groupName(st.st_gid))"
                return "libvirt's QEMU runs as \(runner.user) and cannot \(what) \(p) (\(listing)); "
                    + "fix: give \(runner.user) access (e.g. chmod o+\(letters(wanted)) \(p)), or use a path it can reach"
            }
        }
        return nil
    }

    /// The permission bits (rwx) that apply to `runner` for a file with `st`.
    static func bits(_ st: stat, _ runner: KVMAccess.Runner) -> UInt32 {
        let mode = UInt32(st.st_mode)
        if st.st_uid == runner.uid { return (mode >> 6) & 0o7 }
        if runner.groups.contains(st.st_gid) { return (mode >> 3) & 0o7 }
        return mode & 0o7
    }

    static func describe(_ n: Need) -> String {
        var parts: [String] = []
        if n.contains(.read) { parts.append("read") }
        if n.contains(.write) { parts.append("write") }
        if n.contains(.search) { parts.append("enter") }
        return parts.joined(separator: "/")
    }

    static func letters(_ n: Need) -> String {
        (n.contains(.read) ? "r" : "") + (n.contains(.write) ? "w" : "") + (n.contains(.search) ? "x" : "")
    }

    /// `drwxr-x---`.
    static func modeString(_ mode: UInt32) -> String {
        var s = (mode & UInt32(S_IFMT)) == UInt32(S_IFDIR) ? "d" : "-"
        for (i, ch) in "rwxrwxrwx".enumerated() { s.append(mode & (0o400 >> UInt32(i)) != 0 ? ch : "-") }
        return s
    }
}
