/// A backend that keeps images on its host (the libvirt backend's `unitop` storage pool on a
/// remote host): what `unitop images --host LABEL` lists.
public protocol ImageStoring: Sendable {
    /// The images stored on the backend's host, each with ``Image/host`` set to the host's label
    /// and ``Image/path`` the path on that host.
    func storedImages() async throws -> [Image]
}
