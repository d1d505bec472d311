extension Image {
    /// The KIND column of `images` and the TUI: `unikraft` (a Unikraft kernel, from its `.uk_*`
    /// ELF sections), `kernel` (another kernel booted with `-kernel`), `disk` (a raw or qcow2
    /// image booted by the firmware from the first drive), `-` when the format is unknown.
    public var kind: String {
        switch format {
        case .rawDisk, .qcow2: return "disk"
        case .unknown: return unikraft ? "unikraft" : "-"
        case .multiboot, .pvh, .linuxBzImage: return unikraft ? "unikraft" : "kernel"
        }
    }
}
