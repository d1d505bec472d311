import Foundation
import Models

/// The shared body of stop, kill, pause, resume, restart and rm: read-only check, name check,
/// backend call, the name on stdout.
enum InstanceAction {
    static func perform(
        _ action: String, name: String, global: GlobalOptions,
        _ body: (any UnikernelBackend, CLIContext) async throws -> Void
    ) async throws {
        let context = try CLIContext(global)
        try context.requireWritable(action)
        try InstanceName.validate(name)
        let backend = try context.backend()
        context.logger.info("\(action) \(name)")
        try await body(backend, context)
        StandardStream.output.writeNow(Array((name + "\n").utf8))
    }
}
