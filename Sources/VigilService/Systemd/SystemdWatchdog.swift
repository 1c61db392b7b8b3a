/// Decides when the processing loop sends `WATCHDOG=1`: at half the interval systemd armed,
/// so one slow iteration does not trip it but a stuck loop (no iterations) does.
struct SystemdWatchdog {
    let pingEvery: Duration?
    private var lastPing: ContinuousClock.Instant?

    init(interval: Duration?) {
        pingEvery = interval.map { $0 / 2 }
    }

    /// True when a ping is due at `now` (and records it as sent).
    mutating func isDue(at now: ContinuousClock.Instant) -> Bool {
        guard let pingEvery else { return false }
        if let lastPing, now - lastPing < pingEvery { return false }
        lastPing = now
        return true
    }
}
