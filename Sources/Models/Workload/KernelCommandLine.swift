/// The command line a guest is given: the user's kernel parameters (`--append`), the
/// application arguments (`unitop run IMAGE -- ARGS`), and for Unikraft the parameters unitop
/// adds itself.
///
/// Unikraft's uklibparam reads parameters only before a ` -- ` separator and hands the rest to
/// the application; without it a parameter such as `netdev.ip=` would silently become an
/// application argument. So for a Unikraft image the parameters always end with ` --`, followed
/// by the application arguments if there are any. Like `kraft run`, when unitop gives a
/// Unikraft image user networking it also gives it QEMU's user-network address
/// (`netdev.ip=10.0.2.15/24:10.0.2.2`), unless the parameters already set `netdev.ip`.
///
/// For other images, application arguments follow ` -- ` (Linux passes what follows to init).
public enum KernelCommandLine {
    /// QEMU user networking's guest address and gateway, in Unikraft's `netdev.ip=CIDR:GATEWAY` form.
    public static let unikraftUserNetworkParameter = "netdev.ip=10.0.2.15/24:10.0.2.2"
    /// The guest address QEMU's user networking hands out first.
    public static let userNetworkGuestAddress = "10.0.2.15"

    /// The full command line for a launch.
    public static func compose(append: String, applicationArguments: [String], unikraft: Bool,
                               network: NetworkMode) -> String {
        var parameters = append.trimmingSpaces
        if unikraft, network == .user, !setsParameter("netdev.ip", in: parameters) {
            parameters = parameters.isEmpty ? unikraftUserNetworkParameter : parameters + " " + unikraftUserNetworkParameter
        }
        let arguments = applicationArguments.map(quote).joined(separator: " ")
        guard unikraft || !arguments.isEmpty else { return parameters }
        var line = parameters.isEmpty ? "--" : parameters + " --"
        if !arguments.isEmpty { line += " " + arguments }
        return line
    }

    /// The composed line for a spec.
    public static func compose(_ spec: LaunchSpec) -> String {
        compose(append: spec.append, applicationArguments: spec.applicationArguments, unikraft: spec.unikraft,
                network: spec.network)
    }

    /// The guest addresses unitop itself assigned (Unikraft on user networking), for `addresses`.
    public static func assignedAddresses(_ spec: LaunchSpec) -> [String] {
        guard spec.unikraft, spec.network == .user else { return [] }
        let before = spec.append.components(separatedBy: " -- ").first ?? spec.append
        return setsParameter("netdev.ip", in: before) ? [] : [userNetworkGuestAddress]
    }

    /// True when a word of `parameters` before any ` -- ` is `NAME=...`.
    static func setsParameter(_ name: String, in parameters: String) -> Bool {
        for word in parameters.split(separator: " ") {
            if word == "--" { return false }
            if word.hasPrefix(name + "=") { return true }
        }
        return false
    }

    /// An argument with spaces or quotes in double quotes (uklibparam and Linux both split on
    /// spaces and honour double quotes).
    static func quote(_ argument: String) -> String {
        guard argument.isEmpty || argument.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" }) else {
            return argument
        }
        return "\"" + argument.replacingOccurrences(of: "\"", with: "'") + "\""
    }
}
