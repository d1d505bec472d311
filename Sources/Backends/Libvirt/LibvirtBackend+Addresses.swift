import CLibvirt
import Foundation
import Models

/// Guest IP addresses of domains on a real interface (`network=`, `bridge=`, `tap=`), from
/// libvirt's DHCP leases, else the host's ARP table: host-side lookups, no guest agent. Read by
/// ``instance(named:)`` (inspect, details) at most every ``addressMaxAgeSeconds`` per domain;
/// listings show the last addresses read and never ask libvirt themselves.
extension LibvirtBackend {
    static let addressMaxAgeSeconds = 5.0
    /// Most addresses kept per domain.
    static let maxAddresses = 16

    /// The addresses read last for `name`, if any.
    func cachedAddresses(_ name: String) -> [String]? {
        state.withLock { $0.addresses[name]?.found }
    }

    /// The guest's addresses (cached for ``addressMaxAgeSeconds``); empty when libvirt knows none.
    func interfaceAddresses(_ name: String) async -> [String] {
        if let c = state.withLock({ $0.addresses[name] }), Date().timeIntervalSince(c.at) < Self.addressMaxAgeSeconds {
            return c.found
        }
        let found: [String] = (try? await connection.call { c in
            try LibvirtDomains.withDomain(c, name) { d in Self.readAddresses(d) }
        }) ?? []
        state.withLock { $0.addresses[name] = (found, Date()) }
        return found
    }

    /// Lease source first, then ARP; IPv4 and IPv6 addresses as text, loopback left out.
    static func readAddresses(_ d: OpaquePointer) -> [String] {
        let sources = [VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP]
        for source in sources {
            var ifaces: UnsafeMutablePointer<virDomainInterfacePtr?>?
            let n = virDomainInterfaceAddresses(d, &ifaces, source.rawValue, 0)
            guard n > 0, let ifaces else { continue }
            defer {
                for i in 0..<Int(n) { if let f = ifaces[i] { virDomainInterfaceFree(f) } }
                free(ifaces)
            }
            var found: [String] = []
            for i in 0..<Int(n) {
                guard let f = ifaces[i]?.pointee, let addrs = f.addrs else { continue }
                for j in 0..<Int(f.naddrs) {
                    guard let a = addrs[j].addr else { continue }
                    let text = String(cString: a)
                    if text.utf8.count <= 64, !text.hasPrefix("127."), text != "::1", !found.contains(text) { found.append(text) }
                }
            }
            if !found.isEmpty { return Array(found.prefix(maxAddresses)) }
        }
        return []
    }
}
