/// The key map as a reference outside the TUI (`unitop keys`, the man page's KEYS section): the
/// same entries, in the same order, as the help screen.
extension KeyMap {
    /// One line of the reference: keys as written, what they do, and whether `--readonly`
    /// refuses it.
    public struct ReferenceEntry: Sendable, Equatable {
        public var keys: String
        public var text: String
        public var changesInstance: Bool
    }

    /// Every scope that has keys, with its entries (a pair of bindings shares one entry).
    public static func reference() -> [(scope: String, entries: [ReferenceEntry])] {
        KeyScope.allCases.compactMap { scope in
            let entries = helpEntries(scope).map {
                ReferenceEntry(keys: $0.keys, text: $0.text, changesInstance: $0.bindings.contains(where: \.changesInstance))
            }
            return entries.isEmpty ? nil : (scope.rawValue, entries)
        }
    }
}
