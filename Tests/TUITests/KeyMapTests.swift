import Foundation
import Models
import Testing
@testable import TUI

/// The one key map drives dispatch, the help and the status bar: every binding the help lists is
/// the one its keys dispatch to where it applies, and does something there; `--readonly` refuses
/// every binding that changes an instance, and the status bar hides it.
@Suite struct KeyMapTests {
    /// A state where bindings of `scope` apply: three running instances (the middle one
    /// selected), a console with 100 lines and an active search, images loaded.
    func state(for scope: KeyScope, readonly: Bool = false) -> AppState {
        let names = ["a-1", "b-1", "c-1"]
        var s = makeState(names.map { makeInstance($0) }, width: 120, height: 40, readonly: readonly)
        _ = reduce(&s, .imagesLoaded([makeImage("hello"), makeImage("other")]))
        press(&s, .character("j"))
        let id = InstanceID(backend: .qemu, host: "local", name: "b-1")
        let text = (0..<100).map { "line \($0) error\n" }.joined()
        _ = reduce(&s, .consoleData(id, Array(text.utf8)))
        switch scope {
        case .global, .instance: break
        case .list:
            press(&s, .character("/")); type(&s, "-1"); press(&s, .enter)  // a filter Esc can clear
        case .console:
            press(&s, .enter)  // full-screen console
            press(&s, .character("/")); type(&s, "error"); press(&s, .enter)
            press(&s, .character("k"), .character("k"))
        case .images: press(&s, .character("2"))
        case .details: press(&s, .character("i"), .character("j"))
        case .startForm: press(&s, .character("2"), .character("s"), .tab)
        case .prompt: press(&s, .character("/")); type(&s, "b")
        case .dialog: press(&s, .character("S"))
        case .help: press(&s, .character("?"), .character("j"))
        case .attached: press(&s, .character("a"))
        }
        return s
    }

    /// What a key press can change that a user sees or the runtime does.
    func observable(_ s: AppState) -> String {
        screen(s).joined(separator: "\n") + "|\(s.status?.text ?? "")|\(s.helpTop)|\(s.detailsTop)|\(s.cursor)"
    }

    @Test func everyBindingIsWhatItsKeysDispatchToWhereItApplies() {
        for binding in KeyMap.bindings {
            for key in binding.keys {
                let s = state(for: binding.scope)
                let found = KeyMap.binding(for: key, in: s)
                #expect(found == binding, "\(key.helpName) in \(binding.scope): \(found.map { "\($0.scope).\($0.action)" } ?? "nothing") instead of \(binding.action)")
            }
        }
    }

    @Test func everyBindingDoesSomething() {
        for binding in KeyMap.bindings {
            for key in binding.keys {
                var s = state(for: binding.scope)
                // Where the sample state is already what the key leads to, go elsewhere first.
                switch binding.action {
                case .showInstances: press(&s, .character("2"))
                case .choosePrevious, .chooseNext: while s.startForm?.field != .machine { press(&s, .tab) }
                default: break
                }
                let before = observable(s)
                let effects = press(&s, key)
                #expect(!effects.isEmpty || observable(s) != before || s.quitting,
                        "\(key.helpName) (\(binding.scope).\(binding.action)) changed nothing")
            }
        }
    }

    @Test func readonlyRefusesEveryBindingThatChangesAnInstance() {
        let changing = KeyMap.bindings.filter(\.changesInstance)
        #expect(Set(changing.map(\.action)) == [.attach, .start, .stop, .kill, .pauseResume, .restart, .remove])
        for binding in changing {
            for key in binding.keys {
                var s = state(for: binding.scope, readonly: true)
                let effects = actions(press(&s, key))
                #expect(effects.isEmpty, "\(key.helpName): \(effects)")
                #expect(s.confirm == nil && s.startForm == nil && s.interactive == nil)
                #expect(s.status?.isError == true && s.status?.text.contains("read-only") == true, "\(key.helpName): \(s.status?.text ?? "")")
            }
        }
        // and the status bar offers none of them.
        for scope in [KeyScope.instance, .console, .images] {
            let s = state(for: scope, readonly: true)
            let hints = KeyMap.hints(for: s).map(\.1)
            for b in changing { if let h = b.hint { #expect(!hints.contains(h), "\(scope) hints \(h) when read-only") } }
        }
    }

    @Test func hintsComeFromTheBindingsThatWorkHere() {
        for scope in [KeyScope.instance, .console, .images, .details] {
            let s = state(for: scope)
            for (key, label) in KeyMap.hints(for: s) {
                let scopes = Set(KeyMap.lookups(s).map(\.scope))
                let binding = KeyMap.bindings.first { $0.hint == label && scopes.contains($0.scope) }
                #expect(binding != nil, "\(scope): hint \(key) \(label) has no binding here")
            }
        }
        let list = KeyMap.hints(for: state(for: .instance)).map(\.1)
        for label in ["console", "stop", "kill", "filter", "help", "quit"] { #expect(list.contains(label)) }
    }

    @Test func everyBindingIsOnExactlyOneHelpLine() {
        let covered = KeyScope.allCases.flatMap { KeyMap.helpEntries($0).flatMap(\.bindings) }
        #expect(covered == KeyMap.bindings.sorted { KeyScope.allCases.firstIndex(of: $0.scope)! < KeyScope.allCases.firstIndex(of: $1.scope)! })
        // a pair is two bindings of one scope side by side in the table
        for (i, b) in KeyMap.bindings.enumerated() where b.pairHelp != nil {
            #expect(i + 1 < KeyMap.bindings.count && KeyMap.bindings[i + 1].scope == b.scope && KeyMap.bindings[i + 1].pairHelp == nil,
                    "\(b.action) pairs with a binding of its scope")
        }
    }

    @Test func everyHelpLineFitsTheHelpBox() {
        for readonly in [false, true] {
            for line in KeyMap.helpLines(readonly: readonly) {
                #expect(line.displayWidth <= KeyMap.helpWidth, "too wide: \(line)")
            }
        }
        #expect(KeyMap.helpLines(readonly: true).contains { $0.contains("graceful stop") && $0.hasSuffix("(off)") })
    }
}
