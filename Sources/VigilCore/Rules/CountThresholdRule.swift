/// The rolling-count rule over the (category, cell) windows: fires when a window reaches the
/// threshold, then stays quiet for the cooldown. Counting itself lives in the `WindowTable`.
struct CountThresholdRule: Sendable {
    static let ruleName = "category_cell_count"

    var configuration: CountRuleConfiguration
    /// Index of the rule's window in the engine's `WindowTable`.
    let specIndex: Int
    private var lastAlert: [UInt64: Int64] = [:]
    private var evidence = SlotEvidence()

    init(configuration: CountRuleConfiguration, specIndex: Int) {
        self.configuration = configuration
        self.specIndex = specIndex
    }

    /// Counts nothing itself (the engine added the incident to `table`): checks the window's count
    /// against the threshold and the key's cooldown, and returns the alert citing the window's ids.
    /// With `publishing` false (the kind is not in `alerts.kinds`) the rule keeps only its
    /// cooldowns, which also decide how long a key's windows are kept, and neither records the
    /// incident's id nor builds the alert: recording ids released the ids a key's ring dropped,
    /// each a cold cache line, for alerts no one receives.
    mutating func observe(
        _ incident: Incident, key: UInt64, slot: Int32, table: WindowTable, cell: GridCell, grid: MetricGrid, publishing: Bool = true
    ) -> Alert? {
        if publishing { evidence.append(slot: slot, key: key, time: incident.eventTime, id: incident.id) }
        let spec = table.specs[specIndex]
        let bucket = spec.bucket(incident.eventTime)
        let count = table.count(slot: slot, spec: specIndex, endingAt: bucket)
        guard count >= configuration.threshold else { return nil }
        if let last = lastAlert[key], incident.eventTime.milliseconds < last + configuration.cooldown.milliseconds { return nil }
        lastAlert[key] = incident.eventTime.milliseconds
        guard publishing else { return nil }
        let end = Timestamp(milliseconds: (bucket + 1) * spec.resolution.milliseconds)
        let start = end - spec.horizon
        var hash = StableHash()
        hash.combine(Self.ruleName)
        hash.combine(incident.category)
        hash.combine(cell.description)
        hash.combine(end.milliseconds)
        hash.combine(spec.horizon.milliseconds)
        let centre = grid.centre(of: cell)
        return Alert(
            id: "cnt-\(hash.hex)", kind: .countThreshold, rule: Self.ruleName,
            severity: count >= 2 * configuration.threshold ? .high : .medium,
            eventTime: incident.eventTime, category: incident.category, neighbourhood: incident.neighbourhood,
            cell: cell, latitude: centre.latitude, longitude: centre.longitude, cellSize: grid.cellSize,
            windowStart: start, windowEnd: end, count: count, threshold: configuration.threshold,
            surge: nil, hotspot: nil, incidentIDs: evidence.ids(slot: slot, from: start, to: end))
    }

    /// True while `key` is in its cooldown at `watermark` (its state must be kept).
    func isCoolingDown(_ key: UInt64, at watermark: Timestamp) -> Bool {
        guard let last = lastAlert[key] else { return false }
        return watermark.milliseconds < last + configuration.cooldown.milliseconds
    }

    mutating func forget(_ keys: Set<UInt64>) {
        for key in keys { lastAlert[key] = nil }
    }
}
