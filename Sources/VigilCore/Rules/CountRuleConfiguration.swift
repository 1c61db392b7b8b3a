/// Settings of the (category × grid cell) rolling-count rule.
public struct CountRuleConfiguration: Sendable, Equatable {
    /// Length of the sliding window.
    public var window: EventDuration
    /// Bucket width: windows move in steps of this size (must divide `window`).
    public var resolution: EventDuration
    /// Alert when the window holds at least this many incidents.
    public var threshold: Int
    /// After an alert, the same key stays quiet for this much event time.
    public var cooldown: EventDuration

    public init(
        window: EventDuration = .hours(24), resolution: EventDuration = .hours(1),
        threshold: Int = 4, cooldown: EventDuration = .hours(24)
    ) {
        self.window = window
        self.resolution = resolution
        self.threshold = threshold
        self.cooldown = cooldown
    }

    public var spec: WindowSpec { WindowSpec(horizon: window, resolution: resolution) }
    public var windowBuckets: Int { spec.buckets }

    /// Problems with these values, as (key, message) pairs; empty when valid.
    public func problems() -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if let problem = spec.problem { out.append(("window", problem)) }
        if threshold < 2 { out.append(("threshold", "must be at least 2 (a single incident is not a cluster)")) }
        if cooldown.milliseconds < 0 { out.append(("cooldown", "must not be negative")) }
        return out
    }
}
