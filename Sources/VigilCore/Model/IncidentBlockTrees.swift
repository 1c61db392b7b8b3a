import CVigilTreeWalk

/// A complete-tree ensemble laid out for scoring a block of incidents at once (`CVigilTreeWalk`'s
/// block walks): one tree at a time, one incident per vector lane. Sixteen incidents a block on a
/// CPU with AVX-512, eight on one with AVX2 only.
///
/// Why: the per-incident walks wait on a load for every step of every tree (~1.6 µs an incident
/// for the shipped model on a Zen 3 without AVX-512), or, on AVX-512, blend sixteen trees' splits
/// and permute each lane's input (0.56–0.67 µs on an AVX-512 Xeon). With an incident per lane,
/// every split is one broadcast condition compared with one contiguous row of the block's values
/// for its input: no gather and no load that waits on a comparison. The eight-lane AVX2 walk
/// picks each lane's outcome by blends on its path (~0.45–0.5 µs an incident on Zen 3, but
/// 0.72–0.99 on the AVX-512 Xeon, where a blend is two operations: slower there than the
/// per-incident walk); the sixteen-lane walk sets each split's outcome as a bit of a per-lane word
/// with one masked OR and walks the words (0.43–0.61 µs; `tools/bench/tree_walks.c`). The engine
/// defers its scores until a block's incidents' features are taken (see
/// `IncidentEngine.process(batch:_:)`).
///
/// Each lane's sum is `base`, then each tree's leaf in tree order, in float32: the scalar walk's,
/// bit for bit (tested against the node walk on random ensembles and inputs, both widths).
struct IncidentBlockTrees: Sendable, Equatable {
    /// The widest block: the margins' storage.
    static let maximumLanes = 16
    /// The walks keep a tree's outcomes in registers: up to 63 splits.
    static let maximumDepth = 6
    /// Whether this machine runs the eight-incident walk (AVX2): asked once.
    static let available = vigil_tree_walk_block_available() != 0
    /// Whether this machine runs the sixteen-incident walk (AVX-512 F, BW and VL, and AVX2): asked once.
    static let sixteenAvailable = vigil_tree_walk_block16_available() != 0
    /// The block width this machine walks: 16 with AVX-512, else 8.
    static var preferredLanes: Int { sixteenAvailable ? 16 : 8 }

    /// Incidents per block: 8 or 16.
    let lanes: Int
    let depth: Int
    let treeCount: Int
    /// Inputs per incident; the walk reads `2 · featureCount` rows (`Rows`).
    let featureCount: Int
    /// Per tree, `2^depth - 1` entries in heap order: the byte offset in `Rows` of the row the
    /// split reads (the input's missing-as-−∞ row, or its missing-as-+∞ row when a missing value
    /// goes right), and the split's condition.
    let offsets: [UInt32]
    let conditions: [Float]
    /// Per tree, `max(8, 2^depth)` leaf values, left to right (the walks load eight or more at a time).
    let leaves: [Float]
    /// The fewest waiting lanes a partial block is walked for; below it each lane is scored alone
    /// (`XGBoostModel.margin`), which costs less and gives the same sums. Eight lanes: 3 (a lane
    /// alone is the scalar walk, ~1.6 µs, against ~4 µs for a block). Sixteen: 12 (a lane alone is
    /// the sixteen-tree AVX-512 walk, ~0.56 µs, against ~6.8 µs for a block: `tools/bench/tree_walks.c`).
    var minimumBlockLanes: Int { lanes == 16 ? 12 : 3 }

    /// `lanes` incidents' inputs as the walk reads them: input `i`, lane `k`, at
    /// `values[(2i) · lanes + k]` with a missing value as −∞ and at `values[(2i + 1) · lanes + k]`
    /// as +∞, so a split on a finite condition goes right exactly when XGBoost's does.
    struct Rows {
        let lanes: Int
        private(set) var values: [Float]

        init(featureCount: Int, lanes: Int) {
            precondition(lanes == 8 || lanes == 16)
            self.lanes = lanes
            values = [Float](repeating: 0, count: 2 * featureCount * lanes)
        }

        /// Writes `x` (float32, as XGBoost's DMatrix holds it; NaN is missing) into `lane`.
        ///
        /// Several inputs at a time where the walk runs (`vigil_tree_walk_block_write` and its
        /// sixteen-lane twin): one at a time, with a bounds check and a branch each, this cost
        /// ~750 instructions an incident for 55 features, about a thirteenth of the features and
        /// scoring.
        mutating func write(_ x: [Double], lane: Int) {
            precondition(lane >= 0 && lane < lanes)
            let lanes = lanes
            values.withUnsafeMutableBufferPointer { v in
                x.withUnsafeBufferPointer { x in
                    guard let input = x.baseAddress, let rows = v.baseAddress else { return }
                    let count = min(x.count, v.count / (2 * lanes))
                    if lanes == 16, IncidentBlockTrees.sixteenAvailable {
                        vigil_tree_walk_block16_write(input, Int32(count), rows + lane)
                        return
                    }
                    if lanes == 8, IncidentBlockTrees.available {
                        vigil_tree_walk_block_write(input, Int32(count), rows + lane)
                        return
                    }
                    for i in 0..<count {
                        let value = Float(input[i])
                        v[(2 &* i) &* lanes &+ lane] = value.isNaN ? -.infinity : value
                        v[(2 &* i &+ 1) &* lanes &+ lane] = value.isNaN ? .infinity : value
                    }
                }
            }
        }
    }

    /// The layout of `ensemble` for blocks of `lanes` incidents (default: the widest this machine
    /// walks), or nil when no walk applies (no AVX2, no AVX-512 for sixteen, or trees deeper than
    /// `maximumDepth`).
    init?(_ ensemble: CompleteTreeEnsemble, featureCount: Int, lanes: Int = IncidentBlockTrees.preferredLanes) {
        guard lanes == 16 ? Self.sixteenAvailable : lanes == 8 && Self.available,
            ensemble.depth >= 1, ensemble.depth <= Self.maximumDepth
        else { return nil }
        let depth = ensemble.depth
        let inner = (1 << depth) - 1
        let width = inner + 1
        let stride = max(8, width)
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
                offsets[t * inner + p] = s.featureAndMissing * UInt32(lanes * MemoryLayout<Float>.stride)
                conditions[t * inner + p] = s.condition
            }
            for q in 0..<width {
                leaves[t * stride + q] =
                    ensemble.leaves[CompleteTreeEnsemble.leafIndex(tree: t, leaf: q, width: width, fullGroups: fullGroups)]
            }
        }
        self.lanes = lanes
        self.depth = depth
        treeCount = trees
        self.featureCount = featureCount
        self.offsets = offsets
        self.conditions = conditions
        self.leaves = leaves
    }

    /// The lanes' margins (the first `lanes` of `out`): per lane `base` plus every tree's leaf, in
    /// tree order, in float32. Lanes not written hold some earlier incident's values; their
    /// margins are unused.
    func margins(_ rows: Rows, base: Float, into out: inout SIMD16<Float>) {
        precondition(rows.lanes == lanes && rows.values.count == 2 * featureCount * lanes, "rows for another layout")
        offsets.withUnsafeBufferPointer { o in
            conditions.withUnsafeBufferPointer { c in
                leaves.withUnsafeBufferPointer { l in
                    rows.values.withUnsafeBufferPointer { r in
                        withUnsafeMutableBytes(of: &out) { m in
                            let margins = m.baseAddress!.assumingMemoryBound(to: Float.self)
                            if lanes == 16 {
                                vigil_tree_walk_block16(
                                    o.baseAddress, c.baseAddress, l.baseAddress, Int32(depth), Int32(treeCount), r.baseAddress,
                                    base, margins)
                            } else {
                                vigil_tree_walk_block(
                                    o.baseAddress, c.baseAddress, l.baseAddress, Int32(depth), Int32(treeCount), r.baseAddress,
                                    base, margins)
                            }
                        }
                    }
                }
            }
        }
    }
}
