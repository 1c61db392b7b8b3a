/// Settings of the analytics engine.
public struct EngineConfiguration: Sendable, Equatable {
    public var grid: MetricGrid
    /// Events this far behind the newest event time are still placed in their windows.
    public var allowedLateness: EventDuration
    /// Horizons kept for every key of every family (the count rule's window is added if missing).
    public var windows: [WindowSpec]
    public var countRule: CountRuleConfiguration?
    public var surgeRule: SurgeRuleConfiguration?
    public var hotspots: HotspotConfiguration?
    /// Hard cap on window keys per partition (all families together; the surge rule's keys are
    /// capped separately at the same number); new keys beyond it are counted as cap hits, not tracked.
    public var maxKeys: Int
    /// The near-repeat risk model every accepted incident is scored with (nil: no scoring).
    /// Build it with `RiskScorer.load` under this same configuration.
    public var risk: RiskScorer?
    /// The emerging-cluster scan (nil: off).
    public var clusters: ClusterScanConfiguration?
    /// Alert kinds the engine returns (nil: all). The others are still computed where state needs
    /// them (hotspots feed /hotspots and the model), but are not news for a dispatcher by default.
    public var alertKinds: Set<Alert.Kind>?

    public init(
        grid: MetricGrid, allowedLateness: EventDuration = .hours(1), windows: [WindowSpec] = WindowSpec.defaults,
        countRule: CountRuleConfiguration? = CountRuleConfiguration(),
        surgeRule: SurgeRuleConfiguration? = SurgeRuleConfiguration(),
        hotspots: HotspotConfiguration? = HotspotConfiguration(), maxKeys: Int = 1_000_000, risk: RiskScorer? = nil,
        clusters: ClusterScanConfiguration? = nil, alertKinds: Set<Alert.Kind>? = nil
    ) {
        self.grid = grid
        self.allowedLateness = allowedLateness
        self.windows = windows
        self.countRule = countRule
        self.surgeRule = surgeRule
        self.hotspots = hotspots
        self.maxKeys = maxKeys
        self.risk = risk
        self.clusters = clusters
        self.alertKinds = alertKinds
    }
}
