/// The backends module: ``UnikernelBackend`` and its QEMU and libvirt implementations.
public enum BackendsModule {
    public static let version = "0.1.0"
}
