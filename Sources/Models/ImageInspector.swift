import Foundation

/// Detects an image's boot format from its bytes (stub; the image work replaces it).
public enum ImageInspector {
    /// Inspects the file at `path`; never throws: problems become `bootable == false` with a reason.
    public static func inspect(path: String) -> Image {
        Image(name: (path as NSString).lastPathComponent, path: path, format: .unknown, arch: nil, sizeBytes: 0,
              modifiedAt: nil, bootable: false, reason: "not inspected yet")
    }
}
