import Foundation

/// What the in-memory backend's guests do: the output contract of our fixture unikernels
/// (`fixtures/README.md`), played without QEMU, so the conformance suite asserts the same lines on
/// the fake as on the real backends.
///
/// The image's file name picks the program: `hello` (banner, `hello: cmdline=…`, a heartbeat every
/// `heartbeat_ms` ms, echoes typed lines as `you typed: …`, ignores ACPI), `exit` (prints `exit: code=N`
/// and ends with code N), anything else behaves like `idle` (banner only, powers off on ACPI).
public struct FakeGuest: Sendable, Equatable {
    /// The fixture this guest plays.
    public enum Program: String, Sendable { case hello, exit, idle }

    public let program: Program
    /// `key=value` options from the kernel command line (first one wins, as in the fixtures).
    public let options: [String: String]
    public let commandLine: String

    /// Longest typed line kept, as in the fixtures.
    public static let maxLineLength = 200

    public init(imagePath: String, commandLine: String) {
        let base = ((imagePath as NSString).lastPathComponent as NSString).deletingPathExtension
        program = Program(rawValue: base) ?? .idle
        self.commandLine = commandLine
        var opts: [String: String] = [:]
        for token in commandLine.split(separator: " ") {
            let kv = token.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2, opts[kv[0]] == nil { opts[kv[0]] = kv[1] }
        }
        options = opts
    }

    /// The bytes printed at boot.
    public var bootOutput: [UInt8] {
        var text = "unitop-fixture \(program.rawValue) booted\r\n"
        switch program {
        case .hello: text += "hello: cmdline=\(commandLine)\r\n"
        case .exit: text += "exit: code=\(exitCode)\r\n"
        case .idle: break
        }
        return Array(text.utf8)
    }

    /// Milliseconds between heartbeats (`hello` only): `heartbeat_ms` (default 1000, at least
    /// 10); nil when `heartbeat=0` turns them off, as in the fixture.
    public var heartbeatMillis: Int? {
        guard program == .hello, (Int(options["heartbeat"] ?? "") ?? 1) != 0 else { return nil }
        return max(10, Int(options["heartbeat_ms"] ?? "") ?? 1000)
    }

    /// The exit code the `exit` program ends with (0...127, garbage gives 0).
    public var exitCode: Int { min(127, max(0, Int(options["code"] ?? "") ?? 0)) }

    /// Whether an ACPI powerdown request ends the guest (`hello` ignores it, as the fixture does).
    public var honoursACPI: Bool { program != .hello }

}

/// The fixtures' line editor: echoes printable characters, handles backspace, and prints
/// `you typed: LINE` at CR or LF (a LF right after a CR is swallowed).
public struct FakeLineEditor: Sendable {
    private var line: [UInt8] = []
    private var afterCR = false

    public init() {}

    /// Feeds typed bytes; returns what the guest prints in answer.
    public mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for b in bytes {
            defer { afterCR = b == 0x0D }
            switch b {
            case 0x0A where afterCR: continue
            case 0x0D, 0x0A:
                out += Array("\r\nyou typed: ".utf8) + line + [0x0D, 0x0A]
                line.removeAll()
            case 0x7F, 0x08:
                if !line.isEmpty { line.removeLast(); out += [0x08, 0x20, 0x08] }
            case 0x20...0x7E where line.count < FakeGuest.maxLineLength:
                line.append(b); out.append(b)
            default: continue
            }
        }
        return out
    }
}
