import Foundation
import Models
import Testing
import UnitopTesting
@testable import TUI

@Suite struct ThemeTests {
    var themesDir: String { Fixtures.repositoryRoot.path + "/themes" }

    @Test func embeddedThemesMatchShippedFiles() throws {
        let def = try String(contentsOfFile: themesDir + "/default.toml", encoding: .utf8)
        #expect(def == BuiltinThemes.defaultTOML + "\n")
        let mono = try String(contentsOfFile: themesDir + "/mono.toml", encoding: .utf8)
        #expect(mono == BuiltinThemes.monoTOML + "\n")
    }

    @Test func everyShippedThemeParsesAndDefinesEveryRole() throws {
        for name in ["default", "light", "high-contrast", "mono", "solarized-dark"] {
            let path = themesDir + "/\(name).toml"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let theme = try ThemeLoader.parse(text, file: path, base: nil)
            #expect(theme.name == name)
            for role in ThemeRole.allCases {
                #expect(text.contains("\n\(role.rawValue) = "), "\(name) lacks \(role.rawValue)")
            }
        }
        #expect(Theme.default[.selection].background == .indexed(6))
        #expect(Theme.mono[.selection] == Style(attributes: .reverse))
    }

    @Test func colourForms() {
        #expect(ThemeLoader.parseColor("red") == .indexed(1))
        #expect(ThemeLoader.parseColor("bright-white") == .indexed(15))
        #expect(ThemeLoader.parseColor("#ff8000") == .rgb(255, 128, 0))
        #expect(ThemeLoader.parseColor("200") == .indexed(200))
        #expect(ThemeLoader.parseColor("default") == .default)
        #expect(ThemeLoader.parseColor("#12") == nil)
        #expect(ThemeLoader.parseColor("ultraviolet") == nil)
        #expect(ThemeLoader.parseColor("256") == nil)
    }

    @Test func errorsNameFileLineAndProblem() {
        func error(_ text: String) -> ThemeError? {
            do { _ = try ThemeLoader.parse(text, file: "my.toml"); return nil } catch { return error }
        }
        let unknownRole = error("name = \"x\"\n[roles]\nheader = { fg = \"red\" }\nheadr = { fg = \"red\" }\n")
        #expect(unknownRole?.line == 4)
        #expect(unknownRole?.description.hasPrefix("theme my.toml:4: unknown role 'headr'") == true)
        let badColour = error("[roles]\n\nselection = { fg = \"purplish\" }\n")
        #expect(badColour?.line == 3)
        #expect(badColour?.message.contains("bad colour 'purplish'") == true)
        let badIndex = error("[roles]\nselection = { bg = 300 }\n")
        #expect(badIndex?.line == 2)
        #expect(badIndex?.message.contains("0-255") == true)
        let syntax = error("[roles]\nheader = { fg = \"red\"\n")
        #expect(syntax?.line == 2)
        #expect(syntax?.message.hasPrefix("syntax error") == true)
        let attr = error("[roles]\nheader = { attrs = [\"blink\"] }\n")
        #expect(attr?.message.contains("unknown attribute 'blink'") == true)
        let key = error("colour = 1\n")
        #expect(key?.line == 1)
        #expect(error(String(repeating: "#", count: ThemeLoader.maxFileBytes + 1))?.message.contains("larger") == true)
    }

    @Test func partialThemeInheritsDefault() throws {
        let t = try ThemeLoader.parse("[roles]\nheader = { fg = 1 }\n", file: "p.toml")
        #expect(t[.header] == Style(foreground: .indexed(1)))
        #expect(t[.selection] == Theme.default[.selection])
        #expect(t.name == "p")
    }

    @Test func selectionOrderAndFallbacks() throws {
        let home = try TemporaryHome(prefix: "unitop-theme")
        defer { home.remove() }
        let user = home.root + "/themes"
        try FileManager.default.createDirectory(atPath: user, withIntermediateDirectories: true)
        try "name = \"light\"\n[roles]\nheader = { fg = 42 }\n".write(toFile: user + "/light.toml", atomically: true, encoding: .utf8)
        try "[roles]\nnope = { fg = 1 }\n".write(toFile: user + "/broken.toml", atomically: true, encoding: .utf8)
        let shipped = [themesDir]
        func pick(cli: String? = nil, env: [String: String] = [:], config: String? = nil, colors: Int = 256) -> ThemeSelection.Result {
            ThemeSelection.select(cli: cli, environment: env, configTheme: config, colors: colors, userDirectory: user, shippedDirectories: shipped)
        }
        #expect(pick().theme.name == "default")
        #expect(pick(config: "solarized-dark").theme.name == "solarized-dark")
        #expect(pick(env: ["UNITOP_THEME": "high-contrast"], config: "solarized-dark").theme.name == "high-contrast")
        #expect(pick(cli: "mono", env: ["UNITOP_THEME": "high-contrast"]).theme.name == "mono")
        // User themes override shipped ones.
        #expect(pick(cli: "light").theme[.header].foreground == .indexed(42))
        // NO_COLOR and 0-colour terminals: mono regardless.
        #expect(pick(cli: "light", env: ["NO_COLOR": "1"]).theme.name == "mono")
        #expect(pick(cli: "light", colors: 0).theme.name == "mono")
        // Broken or missing: default with a message naming file and line.
        let broken = pick(cli: "broken")
        #expect(broken.theme == Theme.default)
        #expect(broken.warning?.contains("broken.toml:2: unknown role 'nope'") == true)
        let missing = pick(cli: "nosuch")
        #expect(missing.theme == Theme.default)
        #expect(missing.warning?.contains("no theme named 'nosuch'") == true)
        // `default` works with no themes directory at all (compiled in).
        let none = ThemeSelection.select(cli: nil, environment: [:], configTheme: nil, colors: 256,
                                         userDirectory: "/nonexistent", shippedDirectories: [])
        #expect(none.theme == Theme.default)
        #expect(none.warning == nil)
    }

    @Test func themeWarningAppearsInStatusBar() throws {
        let home = try TemporaryHome(prefix: "unitop-theme")
        defer { home.remove() }
        var config = Models.Config()
        config.theme = home.root + "/bad.toml"
        try "[roles]\nheader = { fg = \"nocolour\" }\n".write(toFile: home.root + "/bad.toml", atomically: true, encoding: .utf8)
        let paths = UnitopPaths.resolve(environment: home.environment)
        let opts = TUIOptions(readonly: false, theme: nil, config: config, paths: paths, environment: [:])
        var s = TUIApp.initialState(backends: [], options: opts, capabilities: .init(colors: 256, unicode: true), size: (300, 30))
        #expect(s.theme == Theme.default)
        s.now = t0
        #expect(s.status?.isError == true)
        #expect(screen(s).last?.contains("bad.toml:2: role 'header': bad colour 'nocolour'") == true)
    }

    @Test func shippedDirectoriesFoundUpwardFromExecutable() {
        let dirs = ThemeSelection.shippedDirectories(executablePath: Fixtures.repositoryRoot.path + "/.build/debug/unitop")
        #expect(dirs.contains(Fixtures.repositoryRoot.path + "/themes"))
        #expect(dirs.first == Fixtures.repositoryRoot.path + "/.build/share/unitop/themes")
    }
}
