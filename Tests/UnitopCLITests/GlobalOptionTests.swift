import Foundation
import Testing
import UnitopTesting

/// Every global option, as the binary itself declares it, is accepted before the subcommand as
/// well as after it, and means the same in both places.
@Suite struct GlobalOptionTests {
    /// The options every subcommand accepts, from the binary's own description of its arguments
    /// (`--experimental-dump-help`): (long name, takes a value).
    func declaredGlobalOptions(_ h: CLIHarness) throws -> [(name: String, valued: Bool)] {
        let r = try h.unitop(["--experimental-dump-help"])
        try #require(r.status == 0, "\(r.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        let subcommands = try #require(command["subcommands"] as? [[String: Any]])
            .filter { ($0["commandName"] as? String) != "help" }
        var common: [String: Bool]?
        for sub in subcommands {
            var options: [String: Bool] = [:]
            for argument in sub["arguments"] as? [[String: Any]] ?? [] {
                guard let kind = argument["kind"] as? String, kind == "option" || kind == "flag" else { continue }
                for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                    if let n = name["name"] as? String { options[n] = kind == "option" }
                }
            }
            common = common.map { $0.filter { options[$0.key] != nil } } ?? options
        }
        return (common ?? [:]).filter { !["help", "version"].contains($0.key) }
            .map { (name: $0.key, valued: $0.value) }.sorted { $0.name < $1.name }
    }

    @Test func everyGlobalOptionWorksBeforeTheSubcommand() throws {
        let h = try CLIHarness(); defer { h.cleanup() }
        let config = h.home.root + "/empty.toml"
        try Data().write(to: URL(fileURLWithPath: config))
        let samples: [String: String] = [
            "backend": "qemu", "connect": "test:///default", "state-dir": h.home.root + "/other-state",
            "config": config, "theme": "default", "log-level": "debug", "host": "local",
        ]
        let globals = try declaredGlobalOptions(h)
        #expect(globals.contains { $0.name == "backend" && $0.valued } && globals.contains { $0.name == "readonly" && !$0.valued },
                "\(globals)")
        for option in globals {
            var words = ["--" + option.name]
            if option.valued {
                guard let value = samples[option.name] else {
                    Issue.record("global option --\(option.name) has no sample value in this test: add one"); continue
                }
                words.append(value)
            }
            let before = try h.unitop(words + ["ps", "--json"])
            let after = try h.unitop(["ps"] + words + ["--json"])
            #expect(before.status == 0, "\(words) before ps: \(before.stderr)")
            #expect(after.status == 0, "\(words) after ps: \(after.stderr)")
            #expect(before.stdout == after.stdout, "\(words)")
            if option.valued {
                let joined = try h.unitop(["--\(option.name)=\(words[1])", "ps", "--json"])
                #expect(joined.status == 0 && joined.stdout == after.stdout, "--\(option.name)=…: \(joined.stderr)")
            }
        }
    }
}
