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

    /// Counts `incident` in its key; returns a surge alert when significant. The stream's continuous
    /// history begins at `historySince`: no alerts before the baseline weeks exist. A new key is
    /// tracked only while fewer than `maxKeys` are (`admitted` false: dropped, a cap hit).
    /// With `publishing` false (surges are not in `alerts.kinds`) the counts and cooldowns are kept
    /// (the model's features and key expiry read them) but no id is recorded and no alert built.
    mutating func observe(
        _ incident: Incident, key: UInt64, neighbourhood: String, cell: GridCell, grid: MetricGrid,
        historySince: Timestamp, maxKeys: Int, publishing: Bool = true
    ) -> (alert: Alert?, admitted: Bool) {
        let history = EventDuration(milliseconds: incident.eventTime.milliseconds - historySince.milliseconds)
        guard let slot = hourly.slot(for: key, admit: hourly.keyCount < maxKeys) else { return (nil, false) }
        let t = incident.eventTime.milliseconds
        let bucket = hourly.specs[0].bucket(incident.eventTime)
        hourly.add(slot: slot, time: incident.eventTime)
        if publishing { evidence.append(slot: slot, key: key, time: incident.eventTime, id: incident.id) }

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
        guard publishing else { return (nil, true) }
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
        // Through the table's memory (`WindowTable.CountReader`): the `surge_*` features read these
        // nine windows for every incident.
        return hourly.withCountReader { counts in
            var total = 0
            for lag in 1...weeks { total += counts.count(slot: slot, spec: 0, endingAt: bucket - Int64(lag) * Self.week) }
            return (counts.count(slot: slot, spec: 0, endingAt: bucket), Double(total) / Double(weeks))
        }
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
