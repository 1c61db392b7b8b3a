/// Continual counting by the binary-tree mechanism (Chan, Shi & Song 2011; Dwork, Naor, Pitassi &
/// Rothblum 2010) for one key over a horizon of `horizon` periods.
///
/// Every dyadic interval of periods is a node holding its exact count plus its own noise. A count
/// of period t lies in one node per level (`levels` = ⌊log2 horizon⌋ + 1), so noise of scale
/// `levels / ε` in every node makes the whole stream — every period's count and every running
/// total, for the whole horizon — ε-differentially private for one incident. A running total is
/// the sum of at most `levels` nodes (the binary digits of t), so its error grows like
/// log^1.5(t) instead of the √t of summing per-period noise or the t of fresh noise per release.
///
/// Only the O(log horizon) nodes still needed are kept (the classic α / α̂ arrays).
public struct BinaryTreeCounter: Sendable, Equatable, Codable {
    /// Periods covered before the budget for this stream is spent.
    public let horizon: Int
    /// Number of tree levels: the sensitivity of the vector of all node counts.
    public let levels: Int
    /// Periods released so far (t).
    public private(set) var released: Int = 0
    /// Exact sums of the open nodes, per level (private state: never published).
    var exact: [Int64]
    /// Noisy sums of the completed nodes that the current running total is made of, per level.
    var noisy: [Int64]

    public init(horizon: Int) {
        precondition(horizon >= 1, "a tree needs at least one period")
        self.horizon = horizon
        self.levels = Self.levels(forHorizon: horizon)
        exact = Array(repeating: 0, count: levels)
        noisy = Array(repeating: 0, count: levels)
    }

    /// ⌊log2 horizon⌋ + 1.
    public static func levels(forHorizon horizon: Int) -> Int {
        Int.bitWidth - horizon.leadingZeroBitCount
    }

    /// What one period's release yields: both come from the same tree, under the same ε.
    public struct Output: Sendable, Equatable {
        /// The period's own count plus the noise of its leaf.
        public var count: Int64
        /// Σ of the counts of periods 1…t plus the noise of at most `levels` nodes.
        public var runningTotal: Int64
        /// How many nodes' noise the running total carries (the popcount of t).
        public var runningTotalNodes: Int
    }

    public var isExhausted: Bool { released >= horizon }

    /// Closes the next period with its exact count; nil once the horizon is reached (the budget of
    /// this stream is spent, and releasing more would exceed ε).
    public mutating func release<R: RandomBitSource>(count: Int64, noise: ExactDiscreteLaplace, using random: inout R) -> Output? {
        guard released < horizon else { return nil }
        released += 1
        let t = released
        let level = t.trailingZeroBitCount
        // The node completed at t covers the nodes below it, now merged into it.
        var sum = count
        for j in 0..<level {
            sum += exact[j]
            exact[j] = 0
            noisy[j] = 0
        }
        exact[level] = sum
        noisy[level] = sum + noise.sample(using: &random)
        // The leaf of period t: for odd t it is the node just completed; for even t it is a node
        // of its own, drawn here (it is part of the tree the sensitivity counts, not extra spend).
        let leaf = level == 0 ? noisy[0] : count + noise.sample(using: &random)
        var total: Int64 = 0
        for j in 0..<levels where t & (1 << j) != 0 { total += noisy[j] }
        return Output(count: leaf, runningTotal: total, runningTotalNodes: t.nonzeroBitCount)
    }
}
