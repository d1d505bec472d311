import CLibvirt
import Foundation
import Models

extension LibvirtDomains {
    /// Creates the domain (transient), or defines and starts it (`persist`), and returns its
    /// snapshot; called on the connection's queue. Any failure leaves no domain behind.
    ///
    /// With `forwards` (QEMU `hostfwd` rules of published ports), the domain starts paused, each
    /// rule is added to its user network over HMP (`hostfwd_add`, through libvirt-qemu), and only
    /// then does the guest run: a port cannot be missed by a guest that is fast to listen, and a
    /// rule QEMU refuses (the port was taken meanwhile) fails the start. The rules are not given
    /// on QEMU's command line because a `<qemu:commandline>` NIC takes a PCI slot libvirt has
    /// already given to one of its own devices (virtio-9p, disks), which fails the start.
    static func create(_ c: OpaquePointer, name: String, xml: String, persist: Bool, forwards: [String],
                       cache: MetadataCache) throws -> DomainSnapshot {
        let paused = forwards.isEmpty ? 0 : UInt32(VIR_DOMAIN_START_PAUSED.rawValue)
        let dom: OpaquePointer
        if persist {
            guard let d = virDomainDefineXML(c, xml) else { throw UnitopError.launchFailed(name: name, message: LibvirtErrors.last().message) }
            if virDomainCreateWithFlags(d, paused) != 0 {
                let message = LibvirtErrors.last().message
                _ = virDomainUndefine(d)
                virDomainFree(d)
                throw UnitopError.launchFailed(name: name, message: message)
            }
            dom = d
        } else {
            guard let d = virDomainCreateXML(c, xml, paused) else {
                throw UnitopError.launchFailed(name: name, message: LibvirtErrors.last().message)
            }
            dom = d
        }
        defer { virDomainFree(dom) }
        do {
            for rule in forwards { try addHostForward(dom, name: name, rule: rule) }
            if !forwards.isEmpty, virDomainResume(dom) != 0 {
                throw UnitopError.launchFailed(name: name, message: "cannot resume after publishing ports: \(LibvirtErrors.last().message)")
            }
        } catch {
            _ = virDomainDestroy(dom)
            if persist { _ = virDomainUndefine(dom) }
            throw error
        }
        // A persistent domain defined again keeps its UUID: drop what was cached for it.
        cache.forget(uuidString(dom))
        guard let s = snapshot(dom, cache: cache) else {
            throw UnitopError.launchFailed(name: name, message: "the domain vanished right after starting: \(LibvirtErrors.last().message)")
        }
        return s
    }

    /// `hostfwd_add NETDEV RULE` over HMP; QEMU answers nothing on success and a message otherwise.
    static func addHostForward(_ dom: OpaquePointer, name: String, rule: String) throws {
        var reply: UnsafeMutablePointer<CChar>?
        let command = "hostfwd_add \(DomainXMLBuilder.userNetdevID) \(rule)"
        guard virDomainQemuMonitorCommand(dom, command, &reply, UInt32(VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP.rawValue)) == 0 else {
            throw UnitopError.launchFailed(name: name, message: "cannot publish \(rule): \(LibvirtErrors.last().message)")
        }
        defer { free(reply) }
        let answer = (reply.map { String(cString: $0) } ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !answer.isEmpty {
            throw UnitopError.launchFailed(name: name, message: "cannot publish \(rule): QEMU says \(answer.prefix(300))")
        }
    }
}
