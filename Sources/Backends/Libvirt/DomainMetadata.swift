import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Models

/// What unitop records inside the domains it creates:
/// `<metadata><unitop:instance xmlns:unitop="https://unitop.dev/xmlns/instance/1">…`.
///
/// A domain with this element is `managed`; foreign domains have none.
public struct DomainMetadata: Sendable, Equatable, Codable {
    public static let namespace = "https://unitop.dev/xmlns/instance/1"
    public static let prefix = "unitop"
    /// Metadata larger than this is ignored (it comes from the hypervisor host).
    public static let maxXMLBytes = 64 * 1024

    /// The image path the user asked for.
    public var image: String
    /// The kernel file libvirt boots (a copy readable by QEMU for local system URIs), if different.
    public var kernelCopy: String?
    public var append: String
    public var machine: String
    /// `kvm` or `tcg`.
    public var accel: String
    public var startedAt: Date
    /// The console log written by virtlogd on the libvirt host.
    public var logPath: String
    /// Why `--accel auto` chose TCG, when it did.
    public var accelNote: String?
    /// Network, ports, initrd, volumes, disks and the exit device; nil for domains created
    /// before unitop recorded them.
    public var workload: DomainWorkload?

    public init(image: String, kernelCopy: String?, append: String, machine: String, accel: String, startedAt: Date, logPath: String,
                accelNote: String? = nil, workload: DomainWorkload? = nil) {
        self.image = image; self.kernelCopy = kernelCopy; self.append = append; self.machine = machine
        self.accel = accel; self.startedAt = startedAt; self.logPath = logPath; self.accelNote = accelNote
        self.workload = workload
    }

    /// The `<unitop:instance>` element, every value escaped.
    public func xmlElement() -> String {
        func el(_ name: String, _ value: String) -> String {
            "<\(Self.prefix):\(name)>\(XMLEscaping.escape(value))</\(Self.prefix):\(name)>"
        }
        var s = "<\(Self.prefix):instance xmlns:\(Self.prefix)=\"\(Self.namespace)\">"
        s += el("image", image)
        if let kernelCopy { s += el("kernelCopy", kernelCopy) }
        s += el("append", append)
        s += el("machine", machine)
        s += el("accel", accel)
        s += el("startedAt", Self.formatDate(startedAt))
        s += el("logPath", logPath)
        if let accelNote { s += el("accelNote", accelNote) }
        if let workload { s += el("workload", workload.json()) }
        s += "</\(Self.prefix):instance>"
        return s
    }

    /// Parses the element returned by `virDomainGetMetadata` (any prefix); nil if it is not ours
    /// or malformed.
    public static func parse(_ xml: String) -> DomainMetadata? {
        guard xml.utf8.count <= maxXMLBytes, let data = xml.data(using: .utf8) else { return nil }
        guard let doc = try? XMLDocument(data: data, options: []), let root = doc.rootElement() else { return nil }
        guard root.localName == "instance" else { return nil }
        var fields: [String: String] = [:]
        for child in root.children ?? [] {
            guard let e = child as? XMLElement, let name = e.localName else { continue }
            fields[name] = e.stringValue ?? ""
        }
        guard let image = fields["image"], let logPath = fields["logPath"] else { return nil }
        return DomainMetadata(
            image: image, kernelCopy: fields["kernelCopy"], append: fields["append"] ?? "",
            machine: fields["machine"] ?? "pc", accel: fields["accel"] ?? "",
            startedAt: fields["startedAt"].flatMap(parseDate) ?? Date(timeIntervalSince1970: 0),
            logPath: logPath, accelNote: fields["accelNote"],
            workload: fields["workload"].flatMap { DomainWorkload.parse(json: $0) })
    }

    static func formatDate(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    static func parseDate(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}
