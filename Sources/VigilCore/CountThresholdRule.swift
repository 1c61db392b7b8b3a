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

    public init(window: EventDuration = .hours(24), resolution: EventDuration = .hours(1),
                threshold: Int = 4, cooldown: EventDuration = .hours(24)) {
        self.window = window
        self.resolution = resolution
        self.threshold = threshold
        self.cooldown = cooldown
    }

    public var windowBuckets: Int { Int(window.milliseconds / resolution.milliseconds) }

    /// Problems with these values, as (key, message) pairs; empty when valid.
    public func problems() -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if resolution.milliseconds <= 0 { out.append(("resolution", "must be positive, e.g. \"1h\"")) }
        if window.milliseconds <= 0 { out.append(("window", "must be positive, e.g. \"24h\"")) }
        if resolution.milliseconds > 0, window.milliseconds > 0 {
            if window.milliseconds % resolution.milliseconds != 0 {
                out.append(("window", "must be a whole multiple of resolution (\(resolution))"))
            } else if windowBuckets > 10_000 {
                out.append(("resolution", "window/resolution is \(windowBuckets) buckets; use a coarser resolution (≤ 10000 buckets)"))
            }
        }
        if threshold < 2 { out.append(("threshold", "must be at least 2 (a single incident is not a cluster)")) }
        if cooldown.milliseconds < 0 { out.append(("cooldown", "must not be negative")) }
        return out
    }
}

/// Per-key state machine of the rolling-count rule: feed incidents, get alerts.
public struct CountThresholdRule: Sendable {
    public static let ruleName = "category_cell_count"
    /// Incident ids kept per key as alert evidence.
    public static let maxEvidence = 16

    struct Key: Hashable, Sendable {
        var category: String
        var cell: GridCell
    }

    struct KeyState: Sendable {
        var counts: RollingCount
        var lastAlert: Timestamp?
        var recent: [(bucket: Int64, id: String)] = []
    }

    public let configuration: CountRuleConfiguration
    let extraBuckets: Int
    var keys: [Key: KeyState] = [:]

    /// `allowedLateness` sizes the ring so late-but-allowed events land exactly.
    public init(configuration: CountRuleConfiguration, allowedLateness: EventDuration) {
        self.configuration = configuration
        let r = configuration.resolution.milliseconds
        extraBuckets = Int((allowedLateness.milliseconds + r - 1) / r) + 1
    }

    public var keyCount: Int { keys.count }

    func bucket(_ t: Timestamp) -> Int64 {
        let r = configuration.resolution.milliseconds
        let m = t.milliseconds
        return m >= 0 ? m / r : (m - r + 1) / r
    }

    /// Counts `incident` in its key and returns an alert if the rule fires. Returns nil without
    /// counting when the key is new and `admitNewKey` is false (the state cap is reached).
    mutating func observe(_ incident: Incident, cell: GridCell, grid: MetricGrid, admitNewKey: Bool) -> (alert: Alert?, admitted: Bool) {
        let key = Key(category: incident.category, cell: cell)
        let b = bucket(incident.eventTime)
        let w = configuration.windowBuckets
        guard keys[key] != nil || admitNewKey else { return (nil, false) }
        var state = keys[key] ?? KeyState(counts: RollingCount(windowBuckets: w, extraBuckets: extraBuckets))
        guard state.counts.add(bucket: b) else {
            keys[key] = state
            return (nil, true)
        }
        state.recent.append((b, incident.id))
        if state.recent.count > Self.maxEvidence { state.recent.removeFirst() }
        let count = state.counts.count(endingAt: b)
        var alert: Alert?
        if count >= configuration.threshold,
           state.lastAlert.map({ incident.eventTime >= $0 + configuration.cooldown }) ?? true {
            state.lastAlert = incident.eventTime
            alert = makeAlert(key: key, bucket: b, count: count, incident: incident, state: state, grid: grid)
        }
        keys[key] = state
        return (alert, true)
    }

    private func makeAlert(key: Key, bucket b: Int64, count: Int, incident: Incident, state: KeyState, grid: MetricGrid) -> Alert {
        let r = configuration.resolution.milliseconds
        let end = Timestamp(milliseconds: (b + 1) * r)
        let start = end - configuration.window
        var hash = StableHash()
        hash.combine(Self.ruleName)
        hash.combine(key.category)
        hash.combine(key.cell.description)
        hash.combine(end.milliseconds)
        hash.combine(configuration.window.milliseconds)
        let w = Int64(configuration.windowBuckets)
        let evidence = state.recent.filter { $0.bucket > b - w && $0.bucket <= b }.map(\.id)
        let centre = grid.centre(of: key.cell)
        return Alert(
            id: "cnt-\(hash.hex)", kind: .countThreshold, rule: Self.ruleName,
            severity: count >= 2 * configuration.threshold ? .high : .medium,
            eventTime: incident.eventTime, category: key.category, cell: key.cell,
            latitude: centre.latitude, longitude: centre.longitude, cellSize: grid.cellSize,
            neighbourhood: incident.neighbourhood, windowStart: start, windowEnd: end,
            count: count, threshold: configuration.threshold, incidentIDs: evidence)
    }

    /// Drops keys with nothing in any window that can still receive events and no active cooldown.
    mutating func expire(before watermark: Timestamp) -> Int {
        let oldestLiveBucket = bucket(watermark) - Int64(configuration.windowBuckets + extraBuckets)
        let before = keys.count
        keys = keys.filter { _, state in
            (state.counts.head ?? .min) > oldestLiveBucket
                || (state.lastAlert.map { watermark < $0 + configuration.cooldown } ?? false)
        }
        return before - keys.count
    }

    /// The current window count for (category, cell), for admin queries and tests.
    public func currentCount(category: String, cell: GridCell) -> Int {
        keys[Key(category: category, cell: cell)]?.counts.current ?? 0
    }
}
