/// A sample of resource use of one instance.
public struct InstanceStats: Codable, Sendable, Equatable, Hashable {
    /// CPU use in percent of one host core since the previous sample (may exceed 100 with several vCPUs).
    public var cpuPercent: Double
    /// Resident memory of the hypervisor process in bytes, if known.
    public var rssBytes: UInt64?

    public init(cpuPercent: Double, rssBytes: UInt64?) {
        self.cpuPercent = cpuPercent
        self.rssBytes = rssBytes
    }
}
