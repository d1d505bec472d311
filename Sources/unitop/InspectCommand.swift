import ArgumentParser
import Foundation
import Models

/// `unitop inspect`: everything known about an instance, or about an image, as JSON.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print an instance (by name) or an image (by path or catalogued name) as JSON.",
        discussion: "An instance of that name wins; otherwise the argument is resolved as an image."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Instance name, image path or catalogued image name.")
    var target: String

    func run() async throws {
        let context = try CLIContext(global)
        if (try? InstanceName.validate(target)) != nil {
            let backend = try context.backend()
            do {
                let instance = try await backend.instance(named: target)
                try JSONOutput.write(instance, pretty: true)
                StandardStream.output.flush()
                return
            } catch UnitopError.instanceNotFound {
                // fall through to images
            }
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
}
