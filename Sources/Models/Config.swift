/// User configuration (`config.toml`). Every field has a default; see README for the file format.
public struct Config: Sendable, Equatable {
    /// Extra image directories scanned besides the default one.
    public var imageDirectories: [String] = []
    /// The backend used without `--backend`.
    public var defaultBackend: BackendKind = .qemu
    /// libvirt connection URIs to open (the libvirt backend).
    public var libvirtURIs: [String] = []
    /// How long one host may take to answer a listing or lookup before it is reported
    /// unreachable (`[libvirt] timeout`).
    public var hostTimeoutSeconds: Double = 5
    /// Theme name or path.
    public var theme: String? = nil
    /// Console scrollback lines kept per instance in the TUI.
    public var scrollbackLines: Int = 10_000
    /// Graceful stop timeout before escalating.
    public var stopTimeoutSeconds: Double = 10
    /// Cap on one instance's console log (bytes, across its rotation).
    public var consoleLogMaxBytes: Int = 64 << 20
    /// Mouse support in the TUI (off by default so terminal text selection keeps working).
    public var mouse: Bool = false
    public var qemu = QEMUSettings()

    public init() {}
}

/// QEMU settings in `[qemu]` of the config.
public struct QEMUSettings: Sendable, Equatable {
    public var binary: String = "qemu-system-x86_64"
    public var accel: Accel = LaunchResolver.defaultAccel
    /// CPU model; nil lets the backend choose (`kvm64` under KVM, QEMU's default under TCG).
    public var cpu: String? = nil
    public var machine: String = LaunchResolver.defaultMachine

    public init() {}
}

extension Config {
    /// Loads `path` (see ``ConfigLoader`` for the format). A missing file gives the defaults unless
    /// `mustExist`; a malformed one throws ``UnitopError/config(path:line:message:)`` naming the
    /// file, the line where known, and the problem. Files over 1 MiB are refused.
    public static func load(path: String, mustExist: Bool = false) throws(UnitopError) -> Config {
        try ConfigLoader.load(path: path, mustExist: mustExist)
    }
}
