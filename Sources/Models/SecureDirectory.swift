#if canImport(Glibc)
import Glibc
#endif

/// unitop's own directories (state, runtime sockets): created 0700, and refused when they are not
/// safe to use — owned by another user, writable by group or others, or a symbolic link that
/// someone else owns (e.g. a pre-created `/tmp/unitop-0` in a shared `/tmp`).
///
/// An unsafe directory would let another local user replace sockets, plant a `qemu.pid` that
/// unitop then signals, or read console logs, so unitop stops with a clear message instead.
public enum SecureDirectory {
    /// Mode for directories unitop creates.
    public static let mode: mode_t = 0o700

    /// Creates `path` (and missing parents, each 0700) unless it exists, then ``check(_:)``s it.
    public static func prepare(_ path: String, allowSticky: Bool = false) throws(UnitopError) {
        try create(path)
        try check(path, allowSticky: allowSticky)
    }

    /// Creates `path` and missing parents with mode 0700; an existing directory is left as it is.
    public static func create(_ path: String) throws(UnitopError) {
        guard path.hasPrefix("/") else { throw .invalidArgument("directory \(path) is not an absolute path") }
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, mode) == 0 || errno == EEXIST { continue }
            throw .io(path: prefix, message: "cannot create directory: \(errorText(errno))")
        }
    }

    /// Throws unless `path` is a directory owned by the effective user that neither group nor
    /// others can write; a symbolic link is followed only when the effective user owns it.
    /// With `allowSticky`, a sticky directory owned by root or the effective user (such as `/tmp`,
    /// where nobody can rename or remove another user's entries) is accepted too: used for the
    /// parent of the socket directory, which may be a shared one given in `UNITOP_RUNTIME_DIR`.
    public static func check(_ path: String, allowSticky: Bool = false) throws(UnitopError) {
        var link = stat()
        guard lstat(path, &link) == 0 else { throw .io(path: path, message: errorText(errno)) }
        let me = geteuid()
        if (link.st_mode & S_IFMT) == S_IFLNK && link.st_uid != me {
            throw .io(path: path, message: "refusing to use it: it is a symbolic link owned by uid \(link.st_uid), not by uid \(me)")
        }
        var st = stat()
        guard stat(path, &st) == 0 else { throw .io(path: path, message: errorText(errno)) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .io(path: path, message: "refusing to use it: not a directory") }
        if allowSticky && st.st_mode & S_ISVTX != 0 && (st.st_uid == 0 || st.st_uid == me) { return }
        guard st.st_uid == me else {
            throw .io(path: path, message: "refusing to use it: owned by uid \(st.st_uid), not by uid \(me) (remove it or choose another directory)")
        }
        guard st.st_mode & 0o022 == 0 else {
            let octal = String(st.st_mode & 0o7777, radix: 8)
            throw .io(path: path, message: "refusing to use it: mode \(octal) lets others write to it (chmod 700 it)")
        }
    }

    /// ``check(_:)`` when `path` exists; nothing when it does not (it is created when needed).
    public static func checkIfExists(_ path: String, allowSticky: Bool = false) throws(UnitopError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        try check(path, allowSticky: allowSticky)
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
