import ArgumentParser
import Foundation
import Models

/// Turns errors into the contract's exit status and one stderr line.
enum CLIError {
    /// Exit status for a failed action.
    static let failure: Int32 = 1
    /// Exit status for a usage error (unknown flag, missing argument).
    static let usage: Int32 = 2
    /// Longest stderr line written for an error.
    static let maxLineBytes = 2000

    /// One line saying what failed and why (no type names, no multi-line dumps).
    static func message(for error: Error) -> String {
        let text: String
        switch error {
        case let e as UnitopError: text = e.description
        case let e as CustomStringConvertible: text = e.description
        default: text = error.localizedDescription
        }
        return oneLine(text)
    }

    /// Collapses whitespace runs containing newlines to "; ", drops control characters and caps length.
    static func oneLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        var joined = lines.joined(separator: "; ")
        joined = String(joined.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }.map(Character.init))
        if joined.utf8.count > maxLineBytes {
            joined = String(decoding: Array(joined.utf8.prefix(maxLineBytes)), as: UTF8.self) + "…"
        }
        return joined.isEmpty ? "failed" : joined
    }

    /// Writes `unitop: <message>` to stderr.
    static func report(_ message: String) {
        StandardStream.error.writeLine("unitop: " + message)
    }

    /// Reports a failure of a parsed command and exits 1 (or the code it carries).
    static func exitForRunError(_ error: Error) -> Never {
        if let code = error as? ExitCode { exit(code.rawValue) }
        if isArgumentParserError(error) { exitForParseError(error) }
        report(message(for: error))
        exit(failure)
    }

    /// Errors of ArgumentParser itself (help requests from `unitop help`, clean exits, usage errors).
    static func isArgumentParserError(_ error: Error) -> Bool {
        error is CleanExit || error is ValidationError || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }

    /// Handles an ArgumentParser parse error: help/version to stdout with 0, usage errors to stderr with 2.
    static func exitForParseError(_ error: Error) -> Never {
        let code = Unitop.exitCode(for: error)
        if code == .success {
            StandardStream.output.write(Array((Unitop.fullMessage(for: error) + "\n").utf8))
            StandardStream.output.flush()
            exit(0)
        }
        if error is UnitopError { exitForRunError(error) }
        let text = Unitop.message(for: error)
        report(oneLine(text.hasPrefix("Error: ") ? String(text.dropFirst(7)) : text))
        StandardStream.error.writeLine("Run 'unitop --help' or 'unitop help <subcommand>' for usage.")
        exit(usage)
    }
}
