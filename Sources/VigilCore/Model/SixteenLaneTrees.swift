import CVigilTreeWalk

/// A complete-tree ensemble laid out for the sixteen-lane walk (`CVigilTreeWalk`): sixteen trees
/// per group, one per AVX-512 lane, each level's splits chosen by the lanes' paths from vectors
/// held in registers. The scalar walk of `CompleteTreeEnsemble` waits on a load for every step of
/// every tree (~2.2 cycles a step, 1,250 steps an incident for the shipped model); here a level of
/// sixteen trees is a few dozen vector instructions and no load that depends on a comparison.
///
/// The sum is the scalar walk's: `base`, then each tree's leaf in tree order, in float32, so the
/// margin is bit-identical (tested against the node walk on random ensembles and inputs). Built
/// only where it applies: a CPU with AVX-512 F, BW and VL, at most `maximumDepth` levels and
/// `maximumFeatures` inputs; elsewhere the scalar walk runs.
struct SixteenLaneTrees: Sendable, Equatable {
    /// Each level picks among up to 2^(depth - 1) candidate vectors.
    static let maximumDepth = 6
    /// The inputs the walk permutes from: four registers of sixteen.
    static let maximumFeatures = 64
    /// Whether this machine runs the walk: asked once.
    static let available = vigil_tree_walk_wide_available() != 0

    let depth: Int
    let treeCount: Int
    /// Per group of sixteen trees, `(2^depth - 1) · 16` entries, position by position (heap
    /// order), lane by lane: the split's input index, plus 128 when a missing value goes right
    /// (a byte: the walk reads every split of a group, so their size is its memory traffic); and
    /// the split's condition. Lanes past the last tree hold splits on input 0, never added.
    let features: [UInt8]
    let conditions: [Float]
    /// Per group, `2^depth · 16` leaf values, left to right, lane by lane.
    let leaves: [Float]

    /// The layout of `ensemble`, or nil when the walk does not apply (see the type's note).
    init?(_ ensemble: CompleteTreeEnsemble, featureCount: Int) {
        guard Self.available, ensemble.depth >= 1, ensemble.depth <= Self.maximumDepth,
            featureCount <= Self.maximumFeatures
        else { return nil }
        let depth = ensemble.depth
        let inner = (1 << depth) - 1
        let width = inner + 1
        let trees = ensemble.treeCount
        let groups = (trees + 15) / 16
        let fullGroups = trees / 8
        var features = [UInt8](repeating: 0, count: groups * 16 * inner)
        var conditions = [Float](repeating: 0, count: groups * 16 * inner)
        var leaves = [Float](repeating: 0, count: groups * 16 * width)
        for t in 0..<trees {
            let base = (t / 16) * 16
            let lane = t % 16
            for p in 0..<inner {
                let s = ensemble.splits[
                    CompleteTreeEnsemble.splitIndex(tree: t, position: p, inner: inner, fullGroups: fullGroups)]
                features[base * inner + p * 16 + lane] = UInt8(s.featureAndMissing >> 1) | UInt8(s.featureAndMissing & 1) << 7
                conditions[base * inner + p * 16 + lane] = s.condition
            }
            for q in 0..<width {
                leaves[base * width + q * 16 + lane] =
                    ensemble.leaves[CompleteTreeEnsemble.leafIndex(tree: t, leaf: q, width: width, fullGroups: fullGroups)]
            }
        }
        self.depth = depth
        treeCount = trees
        self.features = features
        self.conditions = conditions
        self.leaves = leaves
    }

    /// `base` plus every tree's leaf for `x`, in tree order, in float32 (XGBoost's sum). Each
    /// input is converted to float32 once, as XGBoost's DMatrix holds it; NaN is missing.
    func margin(_ x: [Double], base: Float) -> Float {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: Self.maximumFeatures) { v in
            v.initialize(repeating: 0)
            for i in 0..<min(x.count, Self.maximumFeatures) { v[i] = Float(x[i]) }
            return features.withUnsafeBufferPointer { f in
                conditions.withUnsafeBufferPointer { c in
                    leaves.withUnsafeBufferPointer { l in
                        vigil_tree_walk_wide(
                            f.baseAddress, c.baseAddress, l.baseAddress, Int32(depth), Int32(treeCount), v.baseAddress, base)
                    }
                }
            }
        }
    }
}
