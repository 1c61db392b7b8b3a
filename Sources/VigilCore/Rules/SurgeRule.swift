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
/// Poisson upper tail. Hourly counts per key live in a `WindowTable` whose ring reaches back over
/// the trailing weeks, so the lagged windows are ordinary (exact) window queries.
struct SurgeRule: Sendable {
    static let ruleName = "category_neighbourhood_surge"
    static let hour: Int64 = 3_600_000
    static let week: Int64 = 168

    var configuration: SurgeRuleConfiguration
    let lateness: EventDuration
    private var hourly: WindowTable
    private var lastAlert: [UInt64: Int64] = [:]
    private var evidence = SlotEvidence()

    init(configuration: SurgeRuleConfiguration, allowedLateness: EventDuration) {
        self.configuration = configuration
        lateness = allowedLateness
        // The ring holds the window plus the trailing weeks plus the allowed lateness.
        let reach = EventDuration(milliseconds: Int64(configuration.trailingWeeks) * Self.week * Self.hour + allowedLateness.milliseconds)
        hourly = WindowTable(specs: [WindowSpec(horizon: configuration.window, resolution: .hours(1))], allowedLateness: reach)
    }

    var keyCount: Int { hourly.keyCount }

    /// Counts `incident` in its key; returns a surge alert when significant. `history` is how much
    /// event time the stream has covered: no alerts before the baseline weeks exist.
    mutating func observe(_ incident: Incident, key: UInt64, neighbourhood: String, cell: GridCell, grid: MetricGrid,
                          history: EventDuration, admit: Bool) -> (alert: Alert?, admitted: Bool) {
        guard let slot = hourly.slot(for: key, admit: admit) else { return (nil, false) }
        let t = incident.eventTime.milliseconds
        let bucket = hourly.specs[0].bucket(incident.eventTime)
        hourly.add(slot: slot, time: incident.eventTime)
        evidence.append(slot: slot, key: key, time: incident.eventTime, id: incident.id)

        let count = hourly.count(slot: slot, spec: 0, endingAt: bucket)
        let weeks = configuration.trailingWeeks
        guard count >= configuration.minimumCount, history.milliseconds >= Int64(weeks) * Self.week * Self.hour else { return (nil, true) }
        if let last = lastAlert[key], t < last + configuration.cooldown.milliseconds { return (nil, true) }
        var total = 0
        for lag in 1...weeks { total += hourly.count(slot: slot, spec: 0, endingAt: bucket - Int64(lag) * Self.week) }
        let expected = max(Double(total) / Double(weeks), configuration.minimumExpected)
        let p = PoissonTail.upper(count, mean: expected)
        guard p <= configuration.pValue else { return (nil, true) }
        lastAlert[key] = t
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
            incidentIDs: evidence.ids(slot: slot, from: start, to: end))
        return (alert, true)
    }

    /// The key's count in the surge window ending at the hour of `time` and its seasonal
    /// expectation (mean of the same window in the trailing weeks, unfloored), from past events
    /// only: the near-repeat features read it before the incident is counted.
    func seasonal(key: UInt64, at time: Timestamp) -> (count: Int, expected: Double) {
        guard let slot = hourly.slot(of: key) else { return (0, 0) }
        let bucket = hourly.specs[0].bucket(time)
        let weeks = configuration.trailingWeeks
        var total = 0
        for lag in 1...weeks { total += hourly.count(slot: slot, spec: 0, endingAt: bucket - Int64(lag) * Self.week) }
        return (hourly.count(slot: slot, spec: 0, endingAt: bucket), Double(total) / Double(weeks))
    }

    /// Drops keys idle for longer than the baseline reaches back (unless in their cooldown).
    mutating func expire(before watermark: Timestamp) -> Int {
        let reach = Int64(configuration.trailingWeeks) * Self.week * Self.hour + configuration.window.milliseconds + lateness.milliseconds
        let lastAlert = self.lastAlert
        let cooldown = configuration.cooldown.milliseconds
        var expired: [UInt64] = []
        let removed = hourly.expire(olderThan: watermark - EventDuration(milliseconds: reach)) { key in
            if let last = lastAlert[key], watermark.milliseconds < last + cooldown { return true }
            expired.append(key)
            return false
        }
        for key in expired { self.lastAlert[key] = nil }
        return removed
    }
}
