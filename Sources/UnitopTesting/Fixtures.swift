import Foundation

/// Locates the repository and the fixture unikernels built by `make -C fixtures`.
public enum Fixtures {
    /// The package root (the directory holding Package.swift), found upward from this source file.
    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// `UNITOP_FIXTURES` or `<repo>/fixtures/build`.
    public static var directory: String {
        if let d = ProcessInfo.processInfo.environment["UNITOP_FIXTURES"], !d.isEmpty { return d }
        return repositoryRoot.appendingPathComponent("fixtures/build").path
    }

    /// Path of a built fixture image, e.g. `path("hello")` → `.../fixtures/build/hello.elf`.
    public static func path(_ name: String) -> String { directory + "/" + name + ".elf" }

    /// True when the fixture images have been built.
    /// The numbers N of every `heartbeat N` the hello fixture printed in `text`, in order. Splits on
    /// the marker, not on lines: in Swift "\r\n" is one Character, so `"\n"` never splits it.
    public static func heartbeats(in text: String) -> [Int] {
        text.components(separatedBy: "heartbeat ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
    }

    public static var available: Bool { FileManager.default.fileExists(atPath: path("hello")) }

    /// The built `unitop` binary: `UNITOP_BIN`, else `<repo>/.build/debug/unitop`.
    public static var unitopBinary: String {
        if let b = ProcessInfo.processInfo.environment["UNITOP_BIN"], !b.isEmpty { return b }
        return repositoryRoot.appendingPathComponent(".build/debug/unitop").path
    }
}
