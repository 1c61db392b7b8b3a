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

    public init(window: EventDuration = .hours(6), trailingWeeks: Int = 8, minimumCount: Int = 5,
                minimumExpected: Double = 0.5, pValue: Double = 1e-4, cooldown: EventDuration = .hours(24)) {
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

/// Seasonal surge detection: the count in the current window against the mean of the same
/// window one, two, … `trailingWeeks` weeks earlier (hour-of-week seasonality), judged by the
/// Poisson upper tail. Hourly buckets per key; the ring covers the trailing weeks.
struct SurgeRule: Sendable {
    static let ruleName = "category_neighbourhood_surge"
    static let hour: Int64 = 3_600_000
    static let week: Int64 = 168

    struct KeyState: Sendable {
        var hourly: RollingCount
        var lastAlert: Int64?
        var evidence = EvidenceRing()
        var lastSeen: Int64
    }

    let configuration: SurgeRuleConfiguration
    let lateBuckets: Int
    private var states: [UInt64: KeyState] = [:]

    init(configuration: SurgeRuleConfiguration, allowedLateness: EventDuration) {
        self.configuration = configuration
        lateBuckets = Int((allowedLateness.milliseconds + Self.hour - 1) / Self.hour) + 1
    }

    var keyCount: Int { states.count }

    private var windowHours: Int { Int(configuration.window.milliseconds / Self.hour) }

    /// Counts `incident` in its key; returns a surge alert when significant. `history` is how much
    /// event time the stream has covered: no alerts before the baseline weeks exist.
    mutating func observe(_ incident: Incident, key: UInt64, neighbourhood: String, cell: GridCell, grid: MetricGrid,
                          history: EventDuration, admit: Bool) -> (alert: Alert?, admitted: Bool) {
        let t = incident.eventTime.milliseconds
        let bucket = t >= 0 ? t / Self.hour : (t - Self.hour + 1) / Self.hour
        // Take the state out of the dictionary so mutating its ring does not copy it.
        var state: KeyState
        if let existing = states.removeValue(forKey: key) {
            state = existing
        } else {
            guard admit else { return (nil, false) }
            let extra = configuration.trailingWeeks * Int(Self.week) + lateBuckets
            state = KeyState(hourly: RollingCount(windowBuckets: windowHours, extraBuckets: extra), lastSeen: t)
        }
        state.hourly.add(bucket: bucket)
        state.lastSeen = max(state.lastSeen, t)
        state.evidence.append(time: incident.eventTime, id: incident.id)
        defer { states[key] = state }

        let count = state.hourly.count(endingAt: bucket)
        let weeks = configuration.trailingWeeks
        guard count >= configuration.minimumCount, history.milliseconds >= Int64(weeks) * Self.week * Self.hour else { return (nil, true) }
        if let last = state.lastAlert, t < last + configuration.cooldown.milliseconds { return (nil, true) }
        var total = 0
        for lag in 1...weeks { total += state.hourly.count(endingAt: bucket - Int64(lag) * Self.week) }
        let expected = max(Double(total) / Double(weeks), configuration.minimumExpected)
        let p = PoissonTail.upper(count, mean: expected)
        guard p <= configuration.pValue else { return (nil, true) }
        state.lastAlert = t

        let end = Timestamp(milliseconds: (bucket + 1) * Self.hour)
        let start = end - configuration.window
        var hash = StableHash()
        hash.combine(Self.ruleName)
        hash.combine(incident.category)
        hash.combine(neighbourhood)
        hash.combine(end.milliseconds)
        hash.combine(configuration.window.milliseconds)
        let centre = grid.centre(of: cell)
        let alert = Alert(
            id: "srg-\(hash.hex)", kind: .surge, rule: Self.ruleName,
            severity: p <= configuration.pValue / 100 ? .high : .medium,
            eventTime: incident.eventTime, category: incident.category, neighbourhood: neighbourhood,
            cell: cell, latitude: centre.latitude, longitude: centre.longitude, cellSize: grid.cellSize,
            windowStart: start, windowEnd: end, count: count, threshold: nil,
            surge: SurgeEvidence(expected: expected, pValue: p, trailingWeeks: weeks), hotspot: nil,
            incidentIDs: state.evidence.ids(from: start, to: end))
        return (alert, true)
    }

    /// Drops keys idle for longer than the baseline reaches back.
    mutating func expire(before watermark: Timestamp) -> Int {
        let horizon = (Int64(configuration.trailingWeeks) * Self.week + Int64(windowHours) + Int64(lateBuckets)) * Self.hour
        let cutoff = watermark.milliseconds - horizon
        let before = states.count
        states = states.filter { $0.value.lastSeen >= cutoff || ($0.value.lastAlert.map { watermark.milliseconds < $0 + configuration.cooldown.milliseconds } ?? false) }
        return before - states.count
    }
}
