/// Settings of the analytics engine.
public struct EngineConfiguration: Sendable, Equatable {
    public var grid: MetricGrid
    /// Events this far behind the newest event time are still placed in their windows.
    public var allowedLateness: EventDuration
    public var countRule: CountRuleConfiguration?
    /// Hard cap on keys held per partition; new keys beyond it are counted, not tracked.
    public var maxKeys: Int

    public init(grid: MetricGrid, allowedLateness: EventDuration = .hours(1),
                countRule: CountRuleConfiguration? = CountRuleConfiguration(), maxKeys: Int = 1_000_000) {
        self.grid = grid
        self.allowedLateness = allowedLateness
        self.countRule = countRule
        self.maxKeys = maxKeys
    }
}

/// Counters an operator watches; all monotonic except `keys`.
public struct EngineStatistics: Sendable, Equatable {
    public var accepted = 0
    public var late = 0
    public var alerts = 0
    public var keys = 0
    public var keysExpired = 0
    /// Incidents whose key could not be tracked because `maxKeys` was reached.
    public var capHits = 0
}

/// What the engine decided about one incident.
public enum EngineDecision: Sendable, Equatable {
    /// Counted; these alerts fired (often none).
    case accepted([Alert])
    /// Behind the watermark: not counted; the caller sends it to the late side path.
    case late(watermark: Timestamp)
}

/// Vigil's analytics for one input partition: a pure, deterministic state machine.
///
/// No I/O, no clock: time comes from the events. The same incidents in the same order produce the
/// same decisions, which makes replay, recovery and exact tests possible. One engine per partition,
/// because the partition is the unit of state ownership in a consumer group.
public struct IncidentEngine: Sendable {
    public let configuration: EngineConfiguration
    public private(set) var watermark: Watermark
    public private(set) var statistics = EngineStatistics()
    private var countRule: CountThresholdRule?
    private var sinceExpiry = 0
    static let expiryInterval = 4096

    public init(configuration: EngineConfiguration) {
        self.configuration = configuration
        watermark = Watermark(allowedLateness: configuration.allowedLateness)
        countRule = configuration.countRule.map {
            CountThresholdRule(configuration: $0, allowedLateness: configuration.allowedLateness)
        }
    }

    public mutating func process(_ incident: Incident) -> EngineDecision {
        if watermark.isLate(incident.eventTime) {
            statistics.late += 1
            return .late(watermark: watermark.current!)
        }
        watermark.observe(incident.eventTime)
        statistics.accepted += 1
        var alerts: [Alert] = []
        let cell = configuration.grid.cell(latitude: incident.latitude, longitude: incident.longitude)
        if countRule != nil {
            let admit = countRule!.keyCount < configuration.maxKeys
            let (alert, admitted) = countRule!.observe(incident, cell: cell, grid: configuration.grid, admitNewKey: admit)
            if !admitted { statistics.capHits += 1 }
            if let alert { alerts.append(alert) }
        }
        statistics.alerts += alerts.count
        sinceExpiry += 1
        if sinceExpiry >= Self.expiryInterval, let now = watermark.current {
            sinceExpiry = 0
            statistics.keysExpired += countRule?.expire(before: now) ?? 0
        }
        statistics.keys = countRule?.keyCount ?? 0
        return .accepted(alerts)
    }

    /// Current count of the rolling-count window for (category, cell).
    public func currentCount(category: String, cell: GridCell) -> Int {
        countRule?.currentCount(category: category, cell: cell) ?? 0
    }
}
