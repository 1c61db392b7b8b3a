/// A tree ensemble re-laid as complete binary trees of one depth, for scoring with no branch on
/// the tree's shape: every tree is walked exactly `depth` levels with the child at `2i + 1 + goRight`
/// (heap order), so the walk needs no child pointers and no leaf test, and sixteen trees at once
/// run as sixteen independent chains that the CPU overlaps (the walk waits on loads from the
/// second-level cache: the shipped model's splits and leaves, ~94 KB, do not fit the first). Each group of eight trees is stored
/// interleaved (position by position, one lane per tree), so the eight chains share one base
/// pointer and fit in registers.
///
/// A leaf above the deepest level is pushed down: its place becomes a split whose two subtrees end
/// in copies of the same leaf value, so whichever way a value goes the tree returns the value it
/// returned before. The leaves are added to the margin in tree order, one at a time, in float32,
/// exactly as `XGBoostModel` and XGBoost itself add them, so the sum is bit-identical.
///
/// Built only for ensembles at most `maximumDepth` deep (a complete tree of depth d holds 2^d
/// leaves); deeper models keep the pointer walk. On a CPU with AVX-512, `SixteenLaneTrees` walks
/// these trees sixteen to a vector instead; this scalar walk stays the layout it is built from and
/// the walk everywhere else.
struct CompleteTreeEnsemble: Sendable, Equatable {
    /// An inner node: the feature index shifted left by one, or-ed with 1 when a missing value goes
    /// right; and the float32 threshold (`x < threshold` goes left). `featureAndMissing` is also
    /// the index of the value the split reads in `margin`'s doubled input (see there).
    struct Split: Sendable, Equatable {
        var featureAndMissing: UInt32
        var condition: Float
    }

    static let maximumDepth = 8

    let depth: Int
    let treeCount: Int
    /// `2^depth - 1` splits per tree in heap order (`splitIndex`): groups of eight trees
    /// interleaved, then the last `treeCount % 8` trees one after another.
    let splits: [Split]
    /// `2^depth` leaf values per tree, laid out like the splits (`leafIndex`).
    let leaves: [Float]

    /// Where split `p` (heap order) of tree `t` lies in `splits`: in a full group of eight trees,
    /// at `group base + p·8 + lane`; after the groups, at `t·inner + p`. A group takes the same
    /// `8·inner` places as eight trees one after another, so both layouts agree on where each
    /// group and each later tree starts.
    static func splitIndex(tree t: Int, position p: Int, inner: Int, fullGroups: Int) -> Int {
        t < fullGroups * 8 ? (t / 8) * 8 * inner + p * 8 + t % 8 : t * inner + p
    }

    /// Where leaf `q` (0..<2^depth, left to right) of tree `t` lies in `leaves`.
    static func leafIndex(tree t: Int, leaf q: Int, width: Int, fullGroups: Int) -> Int {
        t < fullGroups * 8 ? (t / 8) * 8 * width + q * 8 + t % 8 : t * width + q
    }

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
        let fullGroups = roots.count / 8
        for (t, r) in roots.enumerated() {
            // Place node `i` of the original tree at heap position `p` on `level`.
            func place(_ i: Int, _ p: Int, _ level: Int) {
                let n = nodes[i]
                if level == depth {
                    // A leaf (depth is the tallest tree's).
                    leaves[Self.leafIndex(tree: t, leaf: p - inner, width: inner + 1, fullGroups: fullGroups)] = n.condition
                } else if n.left < 0 {
                    // A shallow leaf: a split on feature 0 whose both sides end in this leaf.
                    place(i, 2 * p + 1, level + 1)
                    place(i, 2 * p + 2, level + 1)
                } else {
                    splits[Self.splitIndex(tree: t, position: p, inner: inner, fullGroups: fullGroups)] = Split(
                        featureAndMissing: UInt32(n.feature) << 1 | UInt32(n.missingRight), condition: n.condition)
                    place(Int(n.left), 2 * p + 1, level + 1)
                    place(Int(n.left) + 1, 2 * p + 2, level + 1)
                }
            }
            place(Int(r), 0, 0)
        }
        // `margin` stands a missing value in for ±infinity, which only matches XGBoost against a
        // finite threshold (XGBoost's always are); anything else keeps the node walk.
        guard splits.allSatisfy({ $0.condition.isFinite }) else { return nil }
        self.depth = depth
        treeCount = roots.count
        self.splits = splits
        self.leaves = leaves
    }

    /// `base` plus every tree's leaf for `x`, in tree order, in float32.
    ///
    /// A step is one load and one comparison, done as a subtraction's sign (see `next`). Each input is converted to float32 once (XGBoost's
    /// DMatrix holds float32) and written twice: at `2i` with a missing value (NaN) as −∞ and at
    /// `2i + 1` with it as +∞, so a split reads `values[featureAndMissing]` and goes right when
    /// the value is `>= threshold`. Against a finite threshold that is XGBoost's rule exactly:
    /// a present value goes right unless `x < threshold`; a missing one goes right (+∞) or left
    /// (−∞) as the split says. Positions and offsets use wrapping arithmetic: a position is below
    /// `2^(depth+1)` and an offset below the arrays' counts (both fixed at `init`), so Swift's
    /// overflow checks could never fire.
    func margin(_ x: [Double], base: Float) -> Float {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(2 * x.count, 1)) { v in
            for i in x.indices {
                let value = Float(x[i]) + 0  // -0 as +0, for the sign test in `next`
                v[2 &* i] = value.isNaN ? -.infinity : value
                v[2 &* i &+ 1] = value.isNaN ? .infinity : value
            }
            let values = UnsafePointer(v.baseAddress!)
            return splits.withUnsafeBufferPointer { splitBuffer in
                leaves.withUnsafeBufferPointer { leafBuffer in
                    let depth = self.depth
                    let inner = (1 << depth) &- 1
                    let width = inner &+ 1
                    var sum = base
                    guard depth > 0, let firstSplit = splitBuffer.baseAddress, let firstLeaf = leafBuffer.baseAddress else {
                        for t in 0..<treeCount { sum += leafBuffer[t] }  // every tree a single leaf
                        return sum
                    }
                    // The child of position `p` whose split is `s`. `value >= condition` is taken as
                    // the sign of `value - condition`, in arithmetic: the compiler turns a comparison
                    // into a branch on some lanes, and that branch goes either way at random. The
                    // sign test is exact here: the condition is finite, `value` is ±∞ or finite and
                    // never -0, and the difference of two different finite floats is never zero.
                    @inline(__always) func next(_ s: Split, _ p: Int) -> Int {
                        let difference = values[Int(truncatingIfNeeded: s.featureAndMissing)] - s.condition
                        return (p &<< 1) &+ 1 &+ Int(truncatingIfNeeded: ~difference.bitPattern >> 31)
                    }
                    // In a group of eight interleaved trees, lane k's split at position p is group[p·8 + k].
                    @inline(__always) func step(_ group: UnsafePointer<Split>, _ k: Int, _ p: Int) -> Int {
                        next(group[(p &<< 3) | k], p)
                    }
                    // Eight leaves of the group at tree `t`, at positions a...h, added in tree order.
                    @inline(__always) func add(_ t: Int, _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ e: Int, _ f: Int, _ g: Int, _ h: Int) {
                        let leaves = firstLeaf + t &* width
                        sum += leaves[(a &- inner) &<< 3]
                        sum += leaves[((b &- inner) &<< 3) | 1]
                        sum += leaves[((c &- inner) &<< 3) | 2]
                        sum += leaves[((d &- inner) &<< 3) | 3]
                        sum += leaves[((e &- inner) &<< 3) | 4]
                        sum += leaves[((f &- inner) &<< 3) | 5]
                        sum += leaves[((g &- inner) &<< 3) | 6]
                        sum += leaves[((h &- inner) &<< 3) | 7]
                    }
                    var t = 0
                    // Two groups at once: sixteen chains in flight hide more of each load's wait.
                    while t &+ 16 <= treeCount {
                        let group = firstSplit + t &* inner
                        let group2 = group + 8 &* inner
                        var (a, b, c, d, e, f, g, h) = (0, 0, 0, 0, 0, 0, 0, 0)
                        var (i, j, k, l, m, n, o, q) = (0, 0, 0, 0, 0, 0, 0, 0)
                        for _ in 0..<depth {
                            a = step(group, 0, a)
                            b = step(group, 1, b)
                            c = step(group, 2, c)
                            d = step(group, 3, d)
                            e = step(group, 4, e)
                            f = step(group, 5, f)
                            g = step(group, 6, g)
                            h = step(group, 7, h)
                            i = step(group2, 0, i)
                            j = step(group2, 1, j)
                            k = step(group2, 2, k)
                            l = step(group2, 3, l)
                            m = step(group2, 4, m)
                            n = step(group2, 5, n)
                            o = step(group2, 6, o)
                            q = step(group2, 7, q)
                        }
                        add(t, a, b, c, d, e, f, g, h)
                        add(t &+ 8, i, j, k, l, m, n, o, q)
                        t &+= 16
                    }
                    // At most one group of eight is left (a model's tree count mod 16 ≥ 8).
                    while t &+ 8 <= treeCount {
                        let group = firstSplit + t &* inner
                        var lanes = (0, 0, 0, 0, 0, 0, 0, 0)
                        withUnsafeMutableBytes(of: &lanes) { raw in
                            let p = raw.bindMemory(to: Int.self)
                            for _ in 0..<depth { for k in 0..<8 { p[k] = step(group, k, p[k]) } }
                        }
                        add(t, lanes.0, lanes.1, lanes.2, lanes.3, lanes.4, lanes.5, lanes.6, lanes.7)
                        t &+= 8
                    }
                    while t < treeCount {
                        let tree = firstSplit + t &* inner
                        var a = 0
                        for _ in 0..<depth { a = next(tree[a], a) }
                        sum += firstLeaf[t &* width &+ a &- inner]
                        t &+= 1
                    }
                    return sum
                }
            }
        }
    }
}
