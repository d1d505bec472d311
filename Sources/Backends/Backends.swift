/// The backends module: the QEMU and libvirt implementations of ``Models/UnikernelBackend``.
public enum BackendsModule {
    public static let version = "0.1.0"
}
