import ArgumentParser
import Foundation
import Models

/// `unitop images`: images found in the image directories.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List images in the image directories (non-bootable ones with the reason).",
        discussion: "Directories: $XDG_DATA_HOME/unitop/images, then image_directories from the config, then each --dir."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print a JSON array of images.")
    var json = false

    @Option(help: ArgumentHelp("Also scan this directory (repeatable).", valueName: "path"))
    var dir: [String] = []

    func run() async throws {
        let context = try CLIContext(global)
        for d in dir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                throw UnitopError.io(path: d, message: "not a directory")
            }
        }
        let images = context.catalog(extra: dir).scan()
        if json {
            try JSONOutput.write(images)
        } else {
            var t = TableFormatter(headers: ["NAME", "KIND", "FORMAT", "ARCH", "SIZE", "MODIFIED", "BOOTABLE", "PATH"])
            for image in images {
                t.append([
                    image.name, image.kind, image.format.rawValue, image.arch ?? "-", Formatting.bytes(image.sizeBytes),
                    HumanFormat.date(image.modifiedAt), image.bootable ? "yes" : "no: " + (image.reason ?? "unknown"),
                    image.path,
                ])
            }
            StandardStream.output.write(t.render())
        }
        StandardStream.output.flush()
    }
}
