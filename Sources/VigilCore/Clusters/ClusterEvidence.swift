/// What an emerging-cluster alert stands on: the strongest cylinder of the evaluation and how
/// unusual it is, as a recurrence interval.
public struct ClusterEvidence: Sendable, Equatable {
    /// Stable id of the cluster across its emerging, grew and ended alerts.
    public var id: String
    /// The category scanned, or nil for all categories together.
    public var layer: String?
    public var radiusMetres: Double
    public var durationHours: Int
    public var observed: Int
    public var expected: Double
    /// Poisson likelihood ratio (Kulldorff), reported for comparison with SaTScan.
    public var llr: Double
    /// −ln P(chance ≥ observed) with the baseline's uncertainty (what the alert stands on).
    public var surprise: Double
    /// Expected days between chance findings this strong anywhere in the city.
    public var recurrenceDays: Double
    /// Cells of the disc.
    public var cells: [GridCell]
    /// Incidents in the cylinder per category, most frequent first.
    public var categories: [CategoryCount]
    /// For cluster_grew: the observed count announced before; for cluster_ended: the peak.
    public var previousObserved: Int?
}
