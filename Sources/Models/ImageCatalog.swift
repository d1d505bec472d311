/// The images in the image directories (stub; the image work replaces it).
public struct ImageCatalog: Sendable {
    public var directories: [String]

    public init(directories: [String]) { self.directories = directories }

    /// Every image file found (non-bootable ones included, with their reason), sorted by name.
    public func scan() -> [Image] { [] }

    /// An image by path (absolute or relative) or by catalogued name.
    public func resolve(_ nameOrPath: String) throws(UnitopError) -> Image {
        throw .imageNotFound(nameOrPath)
    }
}
