import Models

/// Placeholder for the console sanitizer (branch `models-console`): passes bytes through.
/// Replaced by `ConsoleSanitizer` when that lands.
struct GuestOutputFilter {
    mutating func feed(_ bytes: [UInt8]) -> [UInt8] { bytes }
    mutating func finish() -> [UInt8] { [] }
}
