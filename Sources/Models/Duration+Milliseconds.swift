extension Duration {
    /// The duration in milliseconds, with the fraction (for logs, figures and latencies).
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
