import ArgumentParser
import Foundation
import Models

/// `unitop inspect`: everything known about an instance, or about an image, as JSON.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print an instance (by name) or an image (by path or catalogued name) as JSON.",
        discussion: "An instance of that name (NAME, or HOST/NAME where the name is on several hosts) wins; otherwise the argument is resolved as an image."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Instance name, image path or catalogued image name.")
    var target: String

    func run() async throws {
        let context = try CLIContext(global)
        if let instance = try await instance(context) {
            try JSONOutput.write(instance, pretty: true)
            StandardStream.output.flush()
            return
        }
        let image: Image
        do {
            image = try context.catalog().resolve(target)
        } catch .imageNotFound {
            throw UnitopError.failed("no instance or image named '\(target)'")
        }
        try JSONOutput.write(image, pretty: true)
        StandardStream.output.flush()
    }

    /// The instance `target` names, nil when there is none (then it is an image). `HOST/NAME` only
    /// when HOST is a host: `dir/file.elf` is an image path.
    func instance(_ context: CLIContext) async throws -> Instance? {
        guard let reference = try? InstanceReference(parsing: target) else { return nil }
        let fleet = try context.fleet()
        if let host = reference.host, fleet.backend(host: host) == nil { return nil }
        do {
            return try await context.resolve(reference, in: fleet).instance
        } catch UnitopError.instanceNotFound {
            return nil
        }
    }
}
