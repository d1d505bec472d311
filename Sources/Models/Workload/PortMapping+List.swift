extension PortMapping {
    /// The PORTS cell of `ps` and the TUI: each mapping's ``shortDescription`` (`8080→80`),
    /// comma-separated. When the list is wider than `maxWidth` characters, as many as fit are
    /// kept and the rest counted (`8080→80,8443→443,+3`); `arrow` replaces `→` (`->` on ASCII
    /// terminals). Empty for no ports.
    public static func listDescription(_ ports: [PortMapping], maxWidth: Int? = nil, arrow: String = "→") -> String {
        let words = ports.map { p in
            arrow == "→" ? p.shortDescription : String(p.shortDescription.flatMap { $0 == "→" ? Array(arrow) : [$0] })
        }
        let all = words.joined(separator: ",")
        guard let maxWidth, all.count > maxWidth, words.count > 1 else { return all }
        var kept: [String] = []
        for (i, w) in words.enumerated() {
            let rest = words.count - i - 1
            let candidate = (kept + [w]).joined(separator: ",") + (rest > 0 ? ",+\(rest)" : "")
            guard candidate.count <= maxWidth else { break }
            kept.append(w)
        }
        // Not even the first one fits beside its count: the first, cut by the caller.
        if kept.isEmpty { return words[0] + ",+\(words.count - 1)" }
        return kept.joined(separator: ",") + (kept.count < words.count ? ",+\(words.count - kept.count)" : "")
    }

    /// The mapping as a form field or a sidecar writes it, with the defaults left out:
    /// `8080:80`, `0.0.0.0:8080:80`, `[::1]:53:53/udp`. ``parse(_:)`` reads it back.
    public var compactDescription: String {
        let host = hostAddress == Self.defaultHostAddress ? "" : "\(displayAddress):"
        return "\(host)\(hostPort):\(guestPort)" + (self.protocol == .udp ? "/udp" : "")
    }
}
