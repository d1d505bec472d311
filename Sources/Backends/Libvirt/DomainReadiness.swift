import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The readiness figure of a running domain, stored by the readiness probe in the live domain's
/// metadata (`<unitopready:ready millis='…'/>` in its own namespace), so every unitop process
/// that lists the domain sees it, whichever process measured it. Live only: the next run of a
/// persistent domain starts without one.
enum DomainReadiness {
    static let namespace = "https://unitop.dev/xmlns/ready/1"
    static let prefix = "unitopready"
    /// Longest element accepted (it comes from the hypervisor host).
    static let maxXMLBytes = 4096

    /// The element for `millis`.
    static func element(millis: Double) -> String {
        "<ready millis='\((millis * 10).rounded() / 10)'/>"
    }

    /// The value of an element returned by `virDomainGetMetadata`; nil if malformed or absurd.
    static func parse(_ xml: String) -> Double? {
        guard xml.utf8.count <= maxXMLBytes, let data = xml.data(using: .utf8),
              let doc = try? XMLDocument(data: data, options: []), let root = doc.rootElement(),
              root.localName == "ready",
              let text = (root.attributes ?? []).first(where: { ($0.localName ?? $0.name) == "millis" })?.stringValue,
              let ms = Double(text), ms.isFinite, ms >= 0, ms < 1e9 else { return nil }
        return ms
    }
}
