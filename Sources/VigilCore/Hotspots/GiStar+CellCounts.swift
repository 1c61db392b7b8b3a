extension GiStar {
    /// `compute(counts:…)` over incrementally kept counts: the same result, from the local-sum
    /// index instead of gathering neighbours. A cell of weight count `w` is hot when
    /// `(L - mean·w) / (s·√((n·w - w²)/(n - 1))) ≥ z`, i.e. when its local sum `L` reaches a
    /// threshold of `w` alone; the lists of local sums from one below the smallest such threshold
    /// (over every `w` a cell can have) upwards hold every candidate, and each is then tested with
    /// the exact expression `compute` uses, so the result is identical. Candidates also need a
    /// local sum of at least `minimumLocalCount` (≥ 1), as in `compute`.
    static func compute(_ counts: HotspotCellCounts, zThreshold: Double, minimumLocalCount: Int) -> GiStarResult {
        let n = counts.universeSize
        let mean = Double(counts.sum) / Double(n)
        let variance = Double(counts.sumSquares) / Double(n) - mean * mean
        guard variance > 0, n > 1 else { return GiStarResult(mean: mean, standardDeviation: 0, universeSize: n, hot: []) }
        let s = variance.squareRoot()
        let cols = counts.columns
        let rws = counts.rows
        var from = max(1, minimumLocalCount)
        // The smallest local sum that can be hot, over weight counts 1...9; one below it for rounding.
        var lowest = Double.infinity
        for weights in 1...9 {
            let w = Double(weights)
            lowest = min(lowest, mean * w + zThreshold * s * ((Double(n) * w - w * w) / Double(n - 1)).squareRoot())
        }
        if lowest.isFinite {
            if lowest >= Double(counts.byLocal.count) {
                from = counts.byLocal.count
            } else {
                from = max(from, Int(lowest.rounded(.down)) - 1)
            }
        }
        var hot: [GiStarResult.Cell] = []
        if from < counts.byLocal.count {
            for sumHere in from..<counts.byLocal.count {
                for packed in counts.byLocal[sumHere] {
                    let (cx, cy) = HotspotCellCounts.unpack(packed)
                    let weights = (min(cols - 1, cx + 1) - max(0, cx - 1) + 1) * (min(rws - 1, cy + 1) - max(0, cy - 1) + 1)
                    let w = Double(weights)
                    let z = (Double(sumHere) - mean * w) / (s * ((Double(n) * w - w * w) / Double(n - 1)).squareRoot())
                    if z >= zThreshold {
                        hot.append(
                            .init(
                                cell: GridCell(x: Int32(cx), y: Int32(cy)), count: Int(counts.totals[x: cx, y: cy]),
                                localSum: sumHere, giStar: z))
                    }
                }
            }
        }
        return GiStarResult(mean: mean, standardDeviation: s, universeSize: n, hot: sortedByCell(hot))
    }

    /// `cells` in `GridCell` order ((x, y)), sorted as packed integers with the position as the tie-break, so the
    /// order is that of the stable `sort { $0.cell < $1.cell }`, at a fraction of moving the records.
    static func sortedByCell(_ cells: [GiStarResult.Cell]) -> [GiStarResult.Cell] {
        // Hot cells lie in the universe (x and y from 0 below 2^22) and are fewer than 2^20, so
        // cell and position pack into one UInt64 whose plain sort is the same order.
        if cells.count < 1 << 20, cells.allSatisfy({ $0.cell.x >= 0 && $0.cell.y >= 0 && $0.cell.x < 1 << 22 && $0.cell.y < 1 << 22 }) {
            var packed = cells.indices.map { i in UInt64(cells[i].cell.x) << 42 | UInt64(cells[i].cell.y) << 20 | UInt64(i) }
            packed.sort()
            return packed.map { cells[Int($0 & 0xF_FFFF)] }
        }
        var keys = cells.indices.map { i -> (key: UInt64, index: Int) in
            let c = cells[i].cell
            let x = UInt64(UInt32(bitPattern: c.x ^ Int32.min))
            let y = UInt64(UInt32(bitPattern: c.y ^ Int32.min))
            return (x << 32 | y, i)
        }
        keys.sort { ($0.key, $0.index) < ($1.key, $1.index) }
        return keys.map { cells[$0.index] }
    }
}
