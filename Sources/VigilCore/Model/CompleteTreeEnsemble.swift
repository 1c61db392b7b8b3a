/// A tree ensemble re-laid as complete binary trees of one depth, for scoring with no branch on
/// the tree's shape: every tree is walked exactly `depth` levels with the child at `2i + 1 + goRight`
/// (heap order), so the walk needs no child pointers and no leaf test, and eight trees at once
/// run as eight independent chains that the CPU overlaps.
///
/// A leaf above the deepest level is pushed down: its place becomes a split whose two subtrees end
/// in copies of the same leaf value, so whichever way a value goes the tree returns the value it
/// returned before. The leaves are added to the margin in tree order, one at a time, in float32,
/// exactly as `XGBoostModel` and XGBoost itself add them, so the sum is bit-identical.
///
/// Built only for ensembles at most `maximumDepth` deep (a complete tree of depth d holds 2^d
/// leaves); deeper models keep the pointer walk.
struct CompleteTreeEnsemble: Sendable, Equatable {
    /// An inner node: the feature index shifted left by one, or-ed with 1 when a missing value goes
    /// right; and the float32 threshold (`x < threshold` goes left).
    struct Split: Sendable, Equatable {
        var featureAndMissing: UInt32
        var condition: Float
    }

    static let maximumDepth = 8

    let depth: Int
    let treeCount: Int
    /// `2^depth - 1` splits per tree, tree after tree, each tree in heap order.
    let splits: [Split]
    /// `2^depth` leaf values per tree, tree after tree.
    let leaves: [Float]

    /// The complete layout of the trees rooted at `roots` in `XGBoostModel`'s node array, or nil
    /// when a tree is deeper than `maximumDepth`.
    init?(nodes: [XGBoostModel.Node], roots: [Int32]) {
        func height(_ i: Int, _ level: Int) -> Int {
            guard level <= Self.maximumDepth else { return level }  // stop early: too deep anyway
            let n = nodes[i]
            return n.left < 0 ? 0 : 1 + max(height(Int(n.left), level + 1), height(Int(n.left) + 1, level + 1))
        }
        var depth = 0
        for r in roots {
            depth = max(depth, height(Int(r), 0))
            if depth > Self.maximumDepth { return nil }
        }
        let inner = (1 << depth) - 1
        var splits = [Split](repeating: Split(featureAndMissing: 0, condition: 0), count: inner * roots.count)
        var leaves = [Float](repeating: 0, count: (inner + 1) * roots.count)
        for (t, r) in roots.enumerated() {
            // Place node `i` of the original tree at heap position `p` on `level`.
            func place(_ i: Int, _ p: Int, _ level: Int) {
                let n = nodes[i]
                if level == depth {
                    leaves[t * (inner + 1) + p - inner] = n.condition  // a leaf (depth is the tallest tree's)
                } else if n.left < 0 {
                    // A shallow leaf: a split on feature 0 whose both sides end in this leaf.
                    place(i, 2 * p + 1, level + 1)
                    place(i, 2 * p + 2, level + 1)
                } else {
                    splits[t * inner + p] = Split(
                        featureAndMissing: UInt32(n.feature) << 1 | UInt32(n.missingRight), condition: n.condition)
                    place(Int(n.left), 2 * p + 1, level + 1)
                    place(Int(n.left) + 1, 2 * p + 2, level + 1)
                }
            }
            place(Int(r), 0, 0)
        }
        self.depth = depth
        treeCount = roots.count
        self.splits = splits
        self.leaves = leaves
    }

    /// `base` plus every tree's leaf for `x`, in tree order, in float32.
    func margin(_ x: [Double], base: Float) -> Float {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(x.count, 1)) { v in
            // XGBoost's DMatrix holds float32: convert each input once, not at every split.
            for i in x.indices { v[i] = Float(x[i]) }
            return splits.withUnsafeBufferPointer { splits in
                leaves.withUnsafeBufferPointer { leaves in
                    let depth = self.depth
                    let inner = (1 << depth) - 1
                    @inline(__always) func step(_ tree: Int, _ p: Int) -> Int {
                        let s = splits[tree * inner + p]
                        let value = v[Int(s.featureAndMissing >> 1)]
                        let notLess = value < s.condition ? 0 : 1  // NaN compares false: 1
                        let present = value.isNaN ? 0 : 1
                        return 2 * p + 1 + (notLess & (Int(s.featureAndMissing & 1) | present))
                    }
                    @inline(__always) func leaf(_ tree: Int, _ p: Int) -> Float { leaves[tree * (inner + 1) + p - inner] }
                    var sum = base
                    var t = 0
                    while t + 8 <= treeCount {
                        var (a, b, c, d, e, f, g, h) = (0, 0, 0, 0, 0, 0, 0, 0)
                        for _ in 0..<depth {
                            a = step(t, a)
                            b = step(t + 1, b)
                            c = step(t + 2, c)
                            d = step(t + 3, d)
                            e = step(t + 4, e)
                            f = step(t + 5, f)
                            g = step(t + 6, g)
                            h = step(t + 7, h)
                        }
                        sum += leaf(t, a)
                        sum += leaf(t + 1, b)
                        sum += leaf(t + 2, c)
                        sum += leaf(t + 3, d)
                        sum += leaf(t + 4, e)
                        sum += leaf(t + 5, f)
                        sum += leaf(t + 6, g)
                        sum += leaf(t + 7, h)
                        t += 8
                    }
                    while t < treeCount {
                        var a = 0
                        for _ in 0..<depth { a = step(t, a) }
                        sum += leaf(t, a)
                        t += 1
                    }
                    return sum
                }
            }
        }
    }
}
