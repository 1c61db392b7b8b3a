/// The hotspot window's per-cell counts on the dense grid, kept up to date as incidents arrive,
/// so a hotspot evaluation no longer walks every live cell's window or hashes cells.
///
/// Each counted incident is logged under its bucket (one `Int32` per incident). Moving the window
/// end from `e` to `e'` adds the buckets entering it and subtracts those leaving it: O(incidents
/// that moved), not O(cells × buckets). Alongside the per-cell totals it keeps each cell's 3×3
/// local sum and the integer sum and sum of squares, which is all Gi* needs; integer arithmetic
/// keeps the result identical to `GiStar.compute` over the same counts, whatever the update order.
struct HotspotCellCounts: Sendable {
    let spec: WindowSpec
    let columns: Int
    let rows: Int
    /// Events per cell with bucket in `(end - w, end]`.
    private(set) var totals: [Int32]
    /// Sum of `totals` over each cell's 3×3 block (clipped to the universe).
    private(set) var local: [Int32]
    private(set) var sum = 0
    private(set) var sumSquares = 0
    /// The window end (bucket) the totals describe; nil before the first evaluation.
    private(set) var end: Int64?
    /// Cell indices of the incidents of each bucket that can still enter or leave the window.
    private var log: [Int64: [Int32]] = [:]

    init(spec: WindowSpec, columns: Int32, rows: Int32) {
        self.spec = spec
        self.columns = Int(columns)
        self.rows = Int(rows)
        totals = Array(repeating: 0, count: Int(columns) * Int(rows))
        local = totals
    }

    var universeSize: Int { totals.count }

    /// Counts one incident of `cell` at `time` (cells outside the universe are not part of Gi*).
    mutating func add(_ cell: GridCell, at time: Timestamp) {
        guard cell.x >= 0, cell.y >= 0, Int(cell.x) < columns, Int(cell.y) < rows else { return }
        let bucket = spec.bucket(time)
        let w = Int64(spec.buckets)
        let index = Int32(Int(cell.y) * columns + Int(cell.x))
        if let end {
            guard bucket > end - w else { return }  // can never be inside a later window
            if bucket <= end { apply(Int(index), 1) }
        }
        log[bucket, default: []].append(index)
    }

    /// Moves the window to end at bucket `newEnd`. Returns false (totals unchanged) for a move
    /// backwards past what the log still holds; the caller then counts from the window table.
    mutating func advance(to newEnd: Int64) -> Bool {
        let w = Int64(spec.buckets)
        guard let old = end else {
            for (bucket, cells) in log where bucket > newEnd - w && bucket <= newEnd { for i in cells { apply(Int(i), 1) } }
            end = newEnd
            prune()
            return true
        }
        guard newEnd >= old else { return false }
        guard newEnd > old else { return true }
        for (bucket, cells) in log {
            let wasIn = bucket > old - w && bucket <= old
            let isIn = bucket > newEnd - w && bucket <= newEnd
            if wasIn == isIn { continue }
            let delta: Int32 = isIn ? 1 : -1
            for i in cells { apply(Int(i), delta) }
        }
        end = newEnd
        prune()
        return true
    }

    private mutating func prune() {
        guard let end else { return }
        let w = Int64(spec.buckets)
        for bucket in log.keys where bucket <= end - w { log[bucket] = nil }
    }

    @inline(__always) private mutating func apply(_ i: Int, _ delta: Int32) {
        let t = Int(totals[i])
        totals[i] += delta
        sum += Int(delta)
        sumSquares += delta > 0 ? 2 * t + 1 : 1 - 2 * t
        let cx = i % columns, cy = i / columns
        for y in max(0, cy - 1)...min(rows - 1, cy + 1) {
            for x in max(0, cx - 1)...min(columns - 1, cx + 1) { local[y * columns + x] += delta }
        }
    }

    /// The cells with a non-zero count, as `GiStar.compute` takes them (for tests and fallbacks).
    var nonZero: [(GridCell, Int)] {
        var out: [(GridCell, Int)] = []
        for (i, t) in totals.enumerated() where t != 0 { out.append((GridCell(x: Int32(i % columns), y: Int32(i / columns)), Int(t))) }
        return out
    }
}

extension GiStar {
    /// `compute(counts:…)` over incrementally kept counts: the same result, from the dense local
    /// sums instead of gathering neighbours. Candidates are exactly the cells whose local sum
    /// reaches `minimumLocalCount` (≥ 1), which are the cells `compute` would test and keep.
    static func compute(_ counts: HotspotCellCounts, zThreshold: Double, minimumLocalCount: Int) -> GiStarResult {
        let n = counts.universeSize
        let mean = Double(counts.sum) / Double(n)
        let variance = Double(counts.sumSquares) / Double(n) - mean * mean
        guard variance > 0, n > 1 else { return GiStarResult(mean: mean, standardDeviation: 0, universeSize: n, hot: []) }
        let s = variance.squareRoot()
        let cols = counts.columns, rws = counts.rows
        let floor = Int32(clamping: max(1, minimumLocalCount))
        var hot: [GiStarResult.Cell] = []
        counts.local.withUnsafeBufferPointer { local in
            counts.totals.withUnsafeBufferPointer { totals in
                // Column-major scan: hot cells come out ordered by (x, y) like `compute`'s sort.
                for cx in 0..<cols {
                    let wx = min(cols - 1, cx + 1) - max(0, cx - 1) + 1
                    var i = cx
                    for cy in 0..<rws {
                        defer { i += cols }
                        let sumHere = local[i]
                        guard sumHere >= floor else { continue }
                        let weights = wx * (min(rws - 1, cy + 1) - max(0, cy - 1) + 1)
                        let w = Double(weights)
                        let z = (Double(sumHere) - mean * w) / (s * ((Double(n) * w - w * w) / Double(n - 1)).squareRoot())
                        if z >= zThreshold {
                            hot.append(.init(cell: GridCell(x: Int32(cx), y: Int32(cy)), count: Int(totals[i]), localSum: Int(sumHere), giStar: z))
                        }
                    }
                }
            }
        }
        return GiStarResult(mean: mean, standardDeviation: s, universeSize: n, hot: hot)
    }
}
