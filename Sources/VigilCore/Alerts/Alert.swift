/// Something a dispatcher or analyst should look at, with the evidence behind it.
///
/// Alerts are values computed purely from the input: the same input gives the same alerts with
/// the same ids, so a replay after a crash reproduces them and consumers can drop duplicates.
public struct Alert: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A (category, cell) rolling count reached the configured threshold.
        case countThreshold = "count_threshold"
        /// A (category, neighbourhood) window holds significantly more than its seasonal baseline.
        case surge
        /// A new cluster of significantly hot grid cells (Getis-Ord Gi*) appeared.
        case hotspotOpened = "hotspot_opened"
        /// An existing hotspot now covers more cells.
        case hotspotGrew = "hotspot_grew"
        /// A hotspot no longer has hot cells (or merged into another).
        case hotspotClosed = "hotspot_closed"
        /// The near-repeat risk model scored an incident at or above its threshold.
        case highRisk = "high_risk"
        /// A space-time cluster became significant: more incidents here, now, than this place's
        /// own history explains, at the configured recurrence interval.
        case clusterEmerging = "cluster_emerging"
        /// An open cluster became markedly larger.
        case clusterGrew = "cluster_grew"
        /// An open cluster is no longer significant.
        case clusterEnded = "cluster_ended"
    }

    public enum Severity: String, Sendable, Comparable {
        case low, medium, high

        private var rank: Int { self == .low ? 0 : self == .medium ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// Derived from (rule, key, window end): stable across replays.
    public var id: String
    public var kind: Kind
    /// Name of the rule that fired (configuration section).
    public var rule: String
    public var severity: Severity
    /// Event time of the incident that triggered the alert (for hotspots: the evaluation time).
    public var eventTime: Timestamp
    public var category: String?
    public var neighbourhood: String?
    /// The cell of the alert's location.
    public var cell: GridCell
    /// Location, degrees: the cell centre, or a hotspot's count-weighted centroid.
    public var latitude: Double
    public var longitude: Double
    public var cellSize: Double
    /// Window `[start, end)` in event time.
    public var windowStart: Timestamp
    public var windowEnd: Timestamp
    /// Incidents in the window behind the alert.
    public var count: Int
    /// The count-threshold rule's threshold; nil for other kinds.
    public var threshold: Int?
    /// Surge evidence: seasonal expectation and Poisson upper-tail p-value.
    public var surge: SurgeEvidence?
    /// Hotspot evidence: cells, polygon, categories, lineage.
    public var hotspot: HotspotEvidence?
    /// Incidents counted in the window (most recent last; at most 16).
    public var incidentIDs: [String]
    /// Risk evidence: score, threshold, model identity, top features; nil for other kinds.
    public var risk: RiskEvidence? = nil
    /// Cluster evidence: the strongest cylinder and its recurrence interval; nil for other kinds.
    public var cluster: ClusterEvidence? = nil

    /// Kafka key for the alerts topic: the cell (or hotspot id), so one place's alerts stay in order.
    public var partitionKey: String { hotspot?.id ?? cluster?.id ?? cell.description }
}
