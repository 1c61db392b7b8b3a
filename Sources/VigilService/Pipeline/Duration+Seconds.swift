extension Duration {
    /// The duration in seconds as a Double (for `Thread.sleep`, latency histograms and logs),
    /// in one place instead of `components` arithmetic at every use.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
