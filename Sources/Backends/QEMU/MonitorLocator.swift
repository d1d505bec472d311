import Foundation
import Models

/// Finds the `unitop-monitor` executable, in this order:
/// 1. `UNITOP_MONITOR_BIN`;
/// 2. next to the running executable, then `../libexec/unitop/` relative to it (where
///    `make install` and the Debian package put it); in `swift test`, whose executable sits
///    inside a bundle under `.build/debug`, the same two places in the directories above;
/// 3. `PATH`.
enum MonitorLocator {
    /// The monitor's file name.
    static let name = "unitop-monitor"
    /// Where an installation keeps it, relative to the directory of `unitop`.
    static let libexecRelative = "../libexec/unitop/" + name

    static func find(environment: [String: String] = ProcessInfo.processInfo.environment,
                     executable: String? = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) throws -> String {
        if let p = environment["UNITOP_MONITOR_BIN"], !p.isEmpty {
            guard access(p, X_OK) == 0 else { throw UnitopError.failed("UNITOP_MONITOR_BIN=\(p) is not executable") }
            return p
        }
        if let exe = executable {
            var dir = (exe as NSString).deletingLastPathComponent
            for _ in 0..<4 {
                for candidate in [dir + "/" + name, ((dir + "/" + libexecRelative) as NSString).standardizingPath] where access(candidate, X_OK) == 0 {
                    return candidate
                }
                dir = (dir as NSString).deletingLastPathComponent
            }
        }
        for d in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(d)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw UnitopError.failed("cannot find the unitop-monitor executable (looked next to unitop, in ../libexec/unitop/ and on PATH; set UNITOP_MONITOR_BIN)")
    }
}
