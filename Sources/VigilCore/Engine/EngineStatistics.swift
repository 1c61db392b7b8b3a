/// Counters an operator watches; all monotonic except `keys`.
public struct EngineStatistics: Sendable, Equatable {
    public var accepted = 0
    public var late = 0
    public var alerts = 0
    public var keys = 0
    public var keysExpired = 0
    /// Incidents whose key could not be tracked because `maxKeys` was reached.
    public var capHits = 0
    public var hotspotEvaluations = 0
    /// Incidents scored by the risk model, and how many of them reached its threshold.
    public var scored = 0
    public var highRisk = 0
    /// Space-time scan evaluations (one per layer an incident adds an occurrence to).
    public var clusterEvaluations = 0
    /// Clusters open now (not monotonic).
    public var openClusters = 0
}
