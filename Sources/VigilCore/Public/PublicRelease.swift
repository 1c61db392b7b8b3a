/// One scheduled release of one stream: every key of the fixed domain for one period, with the
/// noise it carries. This (and nothing else) is what leaves Vigil on the public topic: no incident
/// ids, no incident times (only the period's date), no noiseless count.
public struct PublicRelease: Sendable, Equatable {
    /// One key's published figures, after post-processing.
    public struct Figure: Sendable, Equatable {
        /// Neighbourhood name or coarse cell ("x3y7").
        public var area: String
        public var category: String
        /// The period's count with its leaf noise.
        public var count: Int64
        /// Σ of this epoch's period counts up to and including this one, with tree noise.
        public var runningTotal: Int64
    }

    public var family: PublicDomain.Family
    public var period: ReleaseSchedule.Period
    /// First day of the period, "YYYY-MM-DD" (UTC): a schedule boundary, not an incident time.
    public var periodStart: String
    /// End of the period: a schedule boundary (used as the Kafka record time), not an incident time.
    public var periodEnd: Timestamp
    public var epoch: Int
    /// 1-based position in the epoch; the running totals start over with each epoch.
    public var step: Int
    /// ε of the whole stream for this epoch (every release of it together), as a decimal.
    public var epsilon: String
    /// Scale b of the discrete Laplace noise in each tree node: P[noise = x] ∝ exp(-|x| / b).
    public var noiseScale: Double
    /// Half-width of the exact 95% interval of a count's noise (before clamping at zero).
    public var countInterval95: Int64
    /// Half-width of the 95% interval of this step's running-total noise: exact when it is one
    /// tree node, else the normal approximation to the sum of its nodes.
    public var runningTotalInterval95: Int64
    /// Whether negative figures were raised to zero (then small counts are biased upwards).
    public var nonNegative: Bool
    public var figures: [Figure]
    /// Per area: the sum of its published category figures (consistent by construction), when enabled.
    public var areaTotals: [(area: String, count: Int64, runningTotal: Int64)]?

    public static func == (a: PublicRelease, b: PublicRelease) -> Bool {
        a.family == b.family && a.period == b.period && a.periodStart == b.periodStart && a.epoch == b.epoch && a.step == b.step
            && a.figures == b.figures && a.epsilon == b.epsilon
            && a.areaTotals?.map(\.area) == b.areaTotals?.map(\.area)
            && a.areaTotals?.map(\.count) == b.areaTotals?.map(\.count)
            && a.areaTotals?.map(\.runningTotal) == b.areaTotals?.map(\.runningTotal)
    }

    /// The stream this release belongs to, e.g. "neighbourhood_category/week".
    public var stream: String { "\(family.rawValue)/\(period.rawValue)" }
}
