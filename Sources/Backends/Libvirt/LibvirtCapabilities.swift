import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads what matters to unitop from libvirt's capabilities XML.
enum LibvirtCapabilities {
    /// Capabilities documents larger than this are not parsed.
    static let maxBytes = 4 << 20

    /// Whether an x86_64 hvm guest can use `<domain type='kvm'>`.
    static func hasKVM(capabilitiesXML xml: String) -> Bool {
        guard xml.utf8.count <= maxBytes, let data = xml.data(using: .utf8),
              let doc = try? XMLDocument(data: data, options: []) else { return false }
        let nodes = (try? doc.nodes(forXPath: "//guest[os_type='hvm']/arch[@name='x86_64']/domain[@type='kvm']")) ?? []
        return !nodes.isEmpty
    }
}
