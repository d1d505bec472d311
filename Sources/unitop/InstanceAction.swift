import Foundation
import Models

/// The shared body of stop, kill, pause, resume, restart and rm: read-only check, the instance
/// found across every host (`NAME` or `HOST/NAME`, see ``CLIContext/resolve(_:)``), the backend
/// call, the name on stdout.
enum InstanceAction {
    static func perform(
        _ action: String, name reference: String, global: GlobalOptions,
        _ body: (any UnikernelBackend, String, CLIContext) async throws -> Void
    ) async throws {
        let context = try CLIContext(global)
        try context.requireWritable(action)
        let resolved = try await context.resolve(reference)
        context.logger.info("\(action) \(resolved.backend.host)/\(resolved.name)")
        try await body(resolved.backend, resolved.name, context)
        StandardStream.output.writeNow(Array((reference + "\n").utf8))
    }
}
