import CUnitopSys

/// What `unitop --version` says: the release version and the commit the binary was built from.
enum BuildInfo {
    /// The release version (also the Debian package's version; `make deb` reads it from here).
    static let version = "0.2.0"

    /// The git commit, as the build was told it (`make release`, `make deb`), else "unknown".
    static var commit: String { String(cString: unitop_build_commit()) }

    /// `0.2.0 (commit 1a2b3c4d5e6f)`.
    static var versionLine: String { "\(version) (commit \(commit))" }
}
