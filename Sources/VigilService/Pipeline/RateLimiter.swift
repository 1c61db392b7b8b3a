/// Allows one event per interval: bounded-rate logging of repetitive conditions.
struct RateLimiter {
    let interval: Duration
    private var last: ContinuousClock.Instant?

    init(interval: Duration) { self.interval = interval }

    mutating func allow() -> Bool {
        let now = ContinuousClock.now
        if let last, now - last < interval { return false }
        last = now
        return true
    }
}
