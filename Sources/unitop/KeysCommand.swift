import ArgumentParser
import TUI

/// `unitop keys`: the TUI's keys, from the key map the TUI dispatches with (as text, or as mdoc
/// for the man page's KEYS section, which `scripts/manpage.sh` fills with it).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List the interactive UI's keys."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Write mdoc (the man page's KEYS section) instead of text.")
    var mdoc = false

    func run() {
        let out = StandardStream.output
        func print(_ line: String) { out.write(line + "\n") }
        defer { out.flush() }
        let reference = KeyMap.reference()
        if mdoc {
            for (scope, entries) in reference {
                print(".Ss \(Self.escape(scope))")
                print(".Bl -tag -width 16n -compact")
                for e in entries {
                    print(".It Li \(Self.escape(e.keys))")
                    print(Self.escape(e.text) + (e.changesInstance ? " (changes an instance)" : ""))
                }
                print(".El")
            }
            return
        }
        for (i, (scope, entries)) in reference.enumerated() {
            if i > 0 { print("") }
            print(scope)
            for e in entries {
                let pad = String(repeating: " ", count: max(1, 24 - e.keys.count))
                print("  " + e.keys + pad + e.text + (e.changesInstance ? " *" : ""))
            }
        }
        print("\n* changes an instance: refused with --readonly")
    }

    /// mdoc text: a leading dot or quote would be read as a request; a backslash is an escape.
    static func escape(_ s: String) -> String {
        let t = s.replacingOccurrences(of: "\\", with: "\\e")
        return t.hasPrefix(".") || t.hasPrefix("'") ? "\\&" + t : t
    }
}
