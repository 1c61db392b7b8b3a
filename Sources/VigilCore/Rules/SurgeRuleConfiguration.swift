/// Settings of the seasonal surge rule over (category × neighbourhood).
public struct SurgeRuleConfiguration: Sendable, Equatable {
    /// Window compared against its seasonal baseline (whole hours).
    public var window: EventDuration
    /// Baseline: the same window (same hours of the week) in each of this many previous weeks.
    public var trailingWeeks: Int
    /// No alert below this many incidents in the window, whatever the p-value (tiny-count guard).
    public var minimumCount: Int
    /// Floor on the expected count, so a key with no history cannot alert on noise.
    public var minimumExpected: Double
    /// Alert when P(X >= count | expected) is at most this (per evaluation).
    public var pValue: Double
    public var cooldown: EventDuration

    public init(
        window: EventDuration = .hours(6), trailingWeeks: Int = 8, minimumCount: Int = 5,
        minimumExpected: Double = 0.5, pValue: Double = 1e-4, cooldown: EventDuration = .hours(24)
    ) {
        self.window = window
        self.trailingWeeks = trailingWeeks
        self.minimumCount = minimumCount
        self.minimumExpected = minimumExpected
        self.pValue = pValue
        self.cooldown = cooldown
    }

    public func problems() -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if window.milliseconds <= 0 || window.milliseconds % 3_600_000 != 0 || window > .days(7) {
            out.append(("window", "must be a whole number of hours between 1h and 7d"))
        }
        if !(1...52).contains(trailingWeeks) { out.append(("trailing_weeks", "must be between 1 and 52")) }
        if minimumCount < 2 { out.append(("minimum_count", "must be at least 2")) }
        if !(minimumExpected > 0) { out.append(("minimum_expected", "must be positive, e.g. 0.5")) }
        if !(pValue > 0 && pValue < 0.5) { out.append(("p_value", "must be in (0, 0.5), e.g. 1e-4")) }
        if cooldown.milliseconds < 0 { out.append(("cooldown", "must not be negative")) }
        return out
    }
}
