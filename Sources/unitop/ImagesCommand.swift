import ArgumentParser
import Foundation
import Models

/// `unitop images`: images found in the image directories.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List images in the image directories (non-bootable ones with the reason).",
        discussion: """
            Directories: $XDG_DATA_HOME/unitop/images, then image_directories from the config, then each --dir. \
            With --host LABEL for a libvirt host: the images that host stores in its 'unitop' storage pool \
            (uploaded there by 'unitop run'), with their paths on that host.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print a JSON array of images.")
    var json = false

    @Option(help: ArgumentHelp("Also scan this directory (repeatable).", valueName: "path"))
    var dir: [String] = []

    func run() async throws {
        let context = try CLIContext(global)
        if let label = global.host, label != HostLabel.local {
            try await writeStored(try hostImages(context, label: label))
            return
        }
        for d in dir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                throw UnitopError.io(path: d, message: "not a directory")
            }
        }
        try await writeStored(context.catalog(extra: dir).scan())
    }

    /// The images a remote host stores, within the host deadline.
    func hostImages(_ context: CLIContext, label: String) async throws -> [Image] {
        guard let backend = try context.fleet().backends.first else { throw UnitopError.failed("no host '\(label)'") }
        guard let store = backend as? any ImageStoring else {
            throw UnitopError.failed("host '\(label)' keeps no images of its own (its images are this machine's: unitop images)")
        }
        switch await HostDeadline.run(seconds: context.config.hostTimeoutSeconds, { try await store.storedImages() }) {
        case .success(let images): return images
        case .failure(let error as UnitopError): throw error
        case .failure(let error): throw UnitopError.failed(HostFailure(host: label, error: error).description)
        }
    }

    func writeStored(_ images: [Image]) async throws {
        if json {
            try JSONOutput.write(images)
        } else {
            var t = TableFormatter(headers: ["NAME", "HOST", "KIND", "FORMAT", "ARCH", "SIZE", "MODIFIED", "BOOTABLE", "PATH"])
            for image in images {
                t.append([
                    image.name, image.host ?? HostLabel.local, image.kind, image.format.rawValue, image.arch ?? "-", Formatting.bytes(image.sizeBytes),
                    HumanFormat.date(image.modifiedAt), image.bootable ? "yes" : "no: " + (image.reason ?? "unknown"),
                    image.path,
                ])
            }
            StandardStream.output.write(t.render())
        }
        StandardStream.output.flush()
    }
}
