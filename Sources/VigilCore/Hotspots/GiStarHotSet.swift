/// The hot cells of the hotspot window's Gi*, kept from one evaluation to the next, so that an
/// evaluation re-tests the cells whose counts moved with the window instead of every candidate.
///
/// Why it is exact: a cell of weight count `w` (its 3×3 block clipped to the universe) is hot when
/// its local sum `L` reaches `minimumLocalCount` and `(L - mean·w) / (s·√((n·w - w²)/(n - 1))) ≥ z`.
/// For fixed mean, `s` and `w` that expression only grows with `L`, even in floating point (an
/// exact integer, a correctly rounded subtraction, a division by a positive number), so each
/// weight count has a smallest hot local sum, found by bisection with the very expression
/// `GiStar.compute` uses. While those thresholds stay the same (the window moves a day; mean and
/// `s` move a little), a cell changes state only if its local sum changed, i.e. only the changed
/// cells' 3×3 blocks are re-tested. When a threshold moves, the hot set is rebuilt from the tiles.
/// The result lists the hot cells sorted by cell with the same count, local sum and Gi* value as
/// `GiStar.compute` over the same counts (tested against it).
struct GiStarHotSet: Sendable {
    /// 1 for a cell of the current hot set, else 0 (tiled: follows the cells that were ever hot).
    private var isHot: CellTiles
    /// The hot cells, packed `x << 32 | y` and ascending: the order of `GridCell`.
    private(set) var keys: [UInt64] = []
    /// Per weight count 1...9 (index `w`), the smallest hot local sum (`Int.max`: none can be
    /// hot); empty before the first evaluation.
    private var thresholds: [Int] = []
    /// Evaluations that rebuilt the hot set from the tiles (for tests and profiles).
    private(set) var rebuilds = 0
    private var added: [UInt64] = []
    private var removed: [UInt64] = []

    init(columns: Int, rows: Int) {
        isHot = CellTiles(columns: columns, rows: rows, fill: 0)
    }

    /// Gi* of the window `counts` describes: the same result as `GiStar.compute(counts:…)` over
    /// `counts.nonZero`. Takes the cells `counts` listed as changed since the last evaluation.
    mutating func evaluate(_ counts: inout HotspotCellCounts, zThreshold: Double, minimumLocalCount: Int) -> GiStarResult {
        let n = counts.universeSize
        let cols = counts.columns
        let rws = counts.rows
        let mean = Double(counts.sum) / Double(n)
        let variance = Double(counts.sumSquares) / Double(n) - mean * mean
        guard variance > 0, n > 1 else {
            counts.clearChanged()
            for key in keys { isHot[x: Int(key >> 32), y: Int(key & 0xFFFF_FFFF)] = 0 }
            keys.removeAll(keepingCapacity: true)
            thresholds = []
            return GiStarResult(mean: mean, standardDeviation: 0, universeSize: n, hot: [])
        }
        let s = variance.squareRoot()
        // The denominator of each weight count, as `GiStar.compute` writes it.
        var denominators = [Double](repeating: 0, count: 10)
        for weights in 1...9 {
            let w = Double(weights)
            denominators[weights] = s * ((Double(n) * w - w * w) / Double(n - 1)).squareRoot()
        }
        let next = Self.thresholds(
            mean: mean, denominators: denominators, zThreshold: zThreshold, from: max(1, minimumLocalCount), sum: counts.sum,
            columns: cols, rows: rws)
        if next == thresholds {
            retest(counts)
        } else {
            rebuild(counts, thresholds: next)
            thresholds = next
            rebuilds += 1
        }
        counts.clearChanged()
        let hot = [GiStarResult.Cell](unsafeUninitializedCapacity: keys.count) { out, written in
            keys.withUnsafeBufferPointer { keys in
                denominators.withUnsafeBufferPointer { denominators in
                    counts.local.withReader { local in
                        counts.totals.withReader { totals in
                            for (k, key) in keys.enumerated() {
                                let x = Int(key >> 32)
                                let y = Int(key & 0xFFFF_FFFF)
                                let sum = Int(local[x: x, y: y])
                                let weights = Self.weights(x, y, columns: cols, rows: rws)
                                let z = (Double(sum) - mean * Double(weights)) / denominators[weights]
                                out.initializeElement(
                                    at: k,
                                    to: .init(
                                        cell: GridCell(x: Int32(x), y: Int32(y)), count: Int(totals[x: x, y: y]), localSum: sum, giStar: z))
                            }
                        }
                    }
                }
            }
            written = keys.count
        }
        return GiStarResult(mean: mean, standardDeviation: s, universeSize: n, hot: hot)
    }

    /// The cells of the 3×3 universe block around (x, y): the weight count of Gi*'s binary weights.
    @inline(__always) static func weights(_ x: Int, _ y: Int, columns: Int, rows: Int) -> Int {
        (min(columns - 1, x + 1) - max(0, x - 1) + 1) * (min(rows - 1, y + 1) - max(0, y - 1) + 1)
    }

    /// The smallest hot local sum of each weight count a cell of this universe can have (`Int.max`
    /// when none up to `sum`, the largest local sum possible, is hot; also for impossible counts).
    static func thresholds(
        mean: Double, denominators: [Double], zThreshold: Double, from: Int, sum: Int, columns: Int, rows: Int
    ) -> [Int] {
        // Extents of a cell's block along one axis: 1 in a one-cell axis, 2 at an edge, 3 inside.
        func extents(_ size: Int) -> [Int] { size == 1 ? [1] : size == 2 ? [2] : [2, 3] }
        var out = [Int](repeating: .max, count: 10)
        for ex in extents(columns) {
            for ey in extents(rows) {
                let weights = ex * ey
                let w = Double(weights)
                let d = denominators[weights]
                func isHot(_ local: Int) -> Bool { (Double(local) - mean * w) / d >= zThreshold }
                guard from <= sum, isHot(sum) else { continue }
                var low = from  // the answer lies in low...high
                var high = sum
                while low < high {
                    let mid = low + (high - low) / 2
                    if isHot(mid) { high = mid } else { low = mid + 1 }
                }
                out[weights] = low
            }
        }
        return out
    }

    /// Re-tests the 3×3 blocks of the cells whose totals changed (the only local sums that moved).
    ///
    /// The tests read the tiles through readers and the flips are written afterwards: a cell in
    /// two changed blocks is tested twice with the same answer, so each list is sorted and its
    /// repeats dropped before the hot set is merged.
    private mutating func retest(_ counts: HotspotCellCounts) {
        let cols = counts.columns
        let rws = counts.rows
        added.removeAll(keepingCapacity: true)
        removed.removeAll(keepingCapacity: true)
        thresholds.withUnsafeBufferPointer { smallest in
            counts.local.withReader { local in
                isHot.withReader { isHot in
                    for packed in counts.changed {
                        let (cx, cy) = HotspotCellCounts.unpack(packed)
                        let x0 = max(0, cx &- 1)
                        let x1 = min(cols &- 1, cx &+ 1)
                        let y0 = max(0, cy &- 1)
                        let y1 = min(rws &- 1, cy &+ 1)
                        // Almost every block lies in one tile: each array's tile is looked up once.
                        let oneTile = x0 >> CellTiles.shift == x1 >> CellTiles.shift && y0 >> CellTiles.shift == y1 >> CellTiles.shift
                        let localTile = oneTile ? local.tileStart(x: x0, y: y0) : 0
                        let hotTile = oneTile ? isHot.tileStart(x: x0, y: y0) : 0
                        var y = y0
                        while y <= y1 {
                            // A cell's weight count is its block's extent along each axis, multiplied.
                            let rowsSpanned = min(rws &- 1, y &+ 1) &- max(0, y &- 1) &+ 1
                            var x = x0
                            while x <= x1 {
                                let weights = (min(cols &- 1, x &+ 1) &- max(0, x &- 1) &+ 1) &* rowsSpanned
                                let sum = oneTile ? local.at(localTile, x: x, y: y) : local[x: x, y: y]
                                let hot = Int(sum) >= smallest[weights]
                                let was = (oneTile ? isHot.at(hotTile, x: x, y: y) : isHot[x: x, y: y]) != 0
                                if hot != was {
                                    let key = UInt64(truncatingIfNeeded: x) << 32 | UInt64(truncatingIfNeeded: y)
                                    if hot { added.append(key) } else { removed.append(key) }
                                }
                                x &+= 1
                            }
                            y &+= 1
                        }
                    }
                }
            }
        }
        guard !added.isEmpty || !removed.isEmpty else { return }
        Self.sortDroppingRepeats(&added)
        Self.sortDroppingRepeats(&removed)
        for key in added { isHot[x: Int(key >> 32), y: Int(key & 0xFFFF_FFFF)] = 1 }
        for key in removed { isHot[x: Int(key >> 32), y: Int(key & 0xFFFF_FFFF)] = 0 }
        // One merge pass: keys minus removed (all of which are in keys) plus added (none are).
        var merged: [UInt64] = []
        merged.reserveCapacity(keys.count + added.count - removed.count)
        var a = 0
        var r = 0
        for key in keys {
            if r < removed.count, removed[r] == key {
                r += 1
                continue
            }
            while a < added.count, added[a] < key {
                merged.append(added[a])
                a += 1
            }
            merged.append(key)
        }
        while a < added.count {
            merged.append(added[a])
            a += 1
        }
        keys = merged
    }

    /// Sorts `keys` ascending and keeps one of each value.
    private static func sortDroppingRepeats(_ keys: inout [UInt64]) {
        guard keys.count > 1 else { return }
        keys.sort()
        var kept = 1
        for i in 1..<keys.count where keys[i] != keys[kept - 1] {
            keys[kept] = keys[i]
            kept += 1
        }
        keys.removeLast(keys.count - kept)
    }

    /// The hot set from every cell with a local sum, for new thresholds (or the first evaluation).
    private mutating func rebuild(_ counts: HotspotCellCounts, thresholds next: [Int]) {
        for key in keys { isHot[x: Int(key >> 32), y: Int(key & 0xFFFF_FFFF)] = 0 }
        keys.removeAll(keepingCapacity: true)
        let lowest = next.min() ?? .max
        guard lowest < .max else { return }
        let cols = counts.columns
        let rws = counts.rows
        var found: [UInt64] = []
        counts.local.forEachSet { x, y, local in
            guard Int(local) >= lowest, Int(local) >= next[Self.weights(x, y, columns: cols, rows: rws)] else { return }
            found.append(UInt64(x) << 32 | UInt64(y))
        }
        found.sort()
        for key in found { isHot[x: Int(key >> 32), y: Int(key & 0xFFFF_FFFF)] = 1 }
        keys = found
    }
}
