import CVigilTreeWalk

/// A complete-tree ensemble laid out for scoring eight incidents at once (`CVigilTreeWalk`'s
/// block walk): one tree at a time, one incident per AVX2 lane.
///
/// Why: on a CPU without AVX-512 (the Zen 3 hosts Vigil runs on now) the per-incident walks wait
/// on a load for every step of every tree, ~1.6 µs an incident for the shipped model; walking a
/// tree's sixteen-per-vector layout lane by lane needs gathers, which lose there. With an
/// incident per lane, every split of a level is one broadcast condition compared with one
/// contiguous row of eight incidents' values, and each lane's outcome is picked by blends on its
/// path: no gather and no load that waits on a comparison. The engine defers its scores until
/// eight incidents' features are taken (see `IncidentEngine.process(batch:_:)`).
///
/// Each lane's sum is `base`, then each tree's leaf in tree order, in float32: the scalar walk's,
/// bit for bit (tested against the node walk on random ensembles and inputs).
struct EightIncidentTrees: Sendable, Equatable {
    static let lanes = 8
    /// A level picks among up to 2^(depth - 1) compared candidates, all held in registers.
    static let maximumDepth = 6
    /// Whether this machine runs the walk: asked once.
    static let available = vigil_tree_walk_block_available() != 0

    let depth: Int
    let treeCount: Int
    /// Inputs per incident; the walk reads `2 · featureCount` rows (`Rows`).
    let featureCount: Int
    /// Per tree, `2^depth - 1` entries in heap order: the byte offset in `Rows` of the row the
    /// split reads (the input's missing-as-−∞ row, or its missing-as-+∞ row when a missing value
    /// goes right), and the split's condition.
    let offsets: [UInt32]
    let conditions: [Float]
    /// Per tree, `max(8, 2^depth)` leaf values, left to right (the walk loads eight at a time).
    let leaves: [Float]

    /// Eight incidents' inputs as the walk reads them: input `i`, lane `k`, at
    /// `values[(2i) · 8 + k]` with a missing value as −∞ and at `values[(2i + 1) · 8 + k]` as +∞,
    /// so a split on a finite condition goes right exactly when XGBoost's does.
    struct Rows {
        private(set) var values: [Float]

        init(featureCount: Int) {
            values = [Float](repeating: 0, count: 2 * featureCount * EightIncidentTrees.lanes)
        }

        /// Writes `x` (float32, as XGBoost's DMatrix holds it; NaN is missing) into `lane`.
        ///
        /// Four inputs at a time where the walk runs (`vigil_tree_walk_block_write`): one at a time,
        /// with a bounds check and a branch each, this cost ~750 instructions an incident for 55
        /// features, about a thirteenth of the features and scoring.
        mutating func write(_ x: [Double], lane: Int) {
            precondition(lane >= 0 && lane < EightIncidentTrees.lanes)
            values.withUnsafeMutableBufferPointer { v in
                x.withUnsafeBufferPointer { x in
                    guard let input = x.baseAddress, let rows = v.baseAddress else { return }
                    let count = min(x.count, v.count / (2 * EightIncidentTrees.lanes))
                    if EightIncidentTrees.available {
                        vigil_tree_walk_block_write(input, Int32(count), rows + lane)
                        return
                    }
                    for i in 0..<count {
                        let value = Float(input[i])
                        v[(2 &* i) &* 8 &+ lane] = value.isNaN ? -.infinity : value
                        v[(2 &* i &+ 1) &* 8 &+ lane] = value.isNaN ? .infinity : value
                    }
                }
            }
        }
    }

    /// The layout of `ensemble`, or nil when the walk does not apply (no AVX2, or deeper than
    /// `maximumDepth`).
    init?(_ ensemble: CompleteTreeEnsemble, featureCount: Int) {
        guard Self.available, ensemble.depth >= 1, ensemble.depth <= Self.maximumDepth else { return nil }
        let depth = ensemble.depth
        let inner = (1 << depth) - 1
        let width = inner + 1
        let stride = max(Self.lanes, width)
        let trees = ensemble.treeCount
        let fullGroups = trees / 8
        var offsets = [UInt32](repeating: 0, count: trees * inner)
        var conditions = [Float](repeating: 0, count: trees * inner)
        var leaves = [Float](repeating: 0, count: trees * stride)
        for t in 0..<trees {
            for p in 0..<inner {
                let s = ensemble.splits[
                    CompleteTreeEnsemble.splitIndex(tree: t, position: p, inner: inner, fullGroups: fullGroups)]
                // `featureAndMissing` is the input's row: 2i, or 2i + 1 when a missing value goes right.
                offsets[t * inner + p] = s.featureAndMissing * UInt32(Self.lanes * MemoryLayout<Float>.stride)
                conditions[t * inner + p] = s.condition
            }
            for q in 0..<width {
                leaves[t * stride + q] =
                    ensemble.leaves[CompleteTreeEnsemble.leafIndex(tree: t, leaf: q, width: width, fullGroups: fullGroups)]
            }
        }
        self.depth = depth
        treeCount = trees
        self.featureCount = featureCount
        self.offsets = offsets
        self.conditions = conditions
        self.leaves = leaves
    }

    /// The eight lanes' margins: per lane `base` plus every tree's leaf, in tree order, in
    /// float32. Lanes not written hold some earlier incident's values; their margins are unused.
    func margins(_ rows: Rows, base: Float, into out: inout (Float, Float, Float, Float, Float, Float, Float, Float)) {
        precondition(rows.values.count == 2 * featureCount * Self.lanes, "rows for another layout")
        offsets.withUnsafeBufferPointer { o in
            conditions.withUnsafeBufferPointer { c in
                leaves.withUnsafeBufferPointer { l in
                    rows.values.withUnsafeBufferPointer { r in
                        withUnsafeMutableBytes(of: &out) { m in
                            vigil_tree_walk_block(
                                o.baseAddress, c.baseAddress, l.baseAddress, Int32(depth), Int32(treeCount), r.baseAddress,
                                base, m.baseAddress!.assumingMemoryBound(to: Float.self))
                        }
                    }
                }
            }
        }
    }
}
