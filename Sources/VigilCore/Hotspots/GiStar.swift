/// Getis-Ord Gi* over a rectangular universe of grid cells with binary 3×3 (queen + self) weights.
///
/// The universe is every cell of the grid's bounding box: `columns × rows` cells, empty ones
/// counting as zero. Gi* changes a lot with the universe, so it is fixed by configuration, not by
/// where incidents happened to fall. Integer sums keep the result independent of iteration order.
enum GiStar {
    /// Gi* for every cell that can be hot. `counts` lists cells with non-zero counts, all inside
    /// the universe. Tiled arrays make it O(cells with incidents), not O(universe) or hashing.
    static func compute(
        counts: [(GridCell, Int)], columns: Int32, rows: Int32, zThreshold: Double, minimumLocalCount: Int,
        scratch: inout GiStarScratch
    ) -> GiStarResult {
        let n = Int(columns) * Int(rows)
        let cols = Int(columns)
        let rws = Int(rows)
        if scratch.counts?.columns != cols || scratch.counts?.rows != rws {
            scratch.counts = CellTiles(columns: cols, rows: rws, fill: 0)
            scratch.marks = CellTiles(columns: cols, rows: rws, fill: 0)
        }
        var sum = 0
        var sumSquares = 0
        for (_, x) in counts {
            sum += x
            sumSquares += x * x
        }
        let mean = Double(sum) / Double(n)
        let variance = Double(sumSquares) / Double(n) - mean * mean
        guard variance > 0, n > 1 else { return GiStarResult(mean: mean, standardDeviation: 0, universeSize: n, hot: []) }
        let s = variance.squareRoot()
        var cellCounts = scratch.counts!
        var marks = scratch.marks!
        scratch.counts = nil
        scratch.marks = nil  // unique while mutated: no copy
        defer {
            scratch.counts = cellCounts
            scratch.marks = marks
        }
        for (cell, x) in counts { cellCounts[x: Int(cell.x), y: Int(cell.y)] = Int32(x) }
        var candidates: [(x: Int, y: Int)] = []
        candidates.reserveCapacity(counts.count * 4)
        for (cell, _) in counts {
            for dy in -1...1 {
                let y = Int(cell.y) + dy
                guard y >= 0, y < rws else { continue }
                for dx in -1...1 {
                    let x = Int(cell.x) + dx
                    guard x >= 0, x < cols else { continue }
                    if marks[x: x, y: y] == 0 {
                        marks[x: x, y: y] = 1
                        candidates.append((x, y))
                    }
                }
            }
        }
        // Threshold on the local sum depends only on the number of neighbours in the universe.
        var hot: [GiStarResult.Cell] = []
        for (cx, cy) in candidates {
            marks[x: cx, y: cy] = 0
            var local = 0
            var weights = 0
            for y in max(0, cy - 1)...min(rws - 1, cy + 1) {
                for x in max(0, cx - 1)...min(cols - 1, cx + 1) {
                    weights += 1
                    local += Int(cellCounts[x: x, y: y])
                }
            }
            guard local >= minimumLocalCount else { continue }
            let w = Double(weights)
            let z = (Double(local) - mean * w) / (s * ((Double(n) * w - w * w) / Double(n - 1)).squareRoot())
            if z >= zThreshold {
                hot.append(
                    .init(cell: GridCell(x: Int32(cx), y: Int32(cy)), count: Int(cellCounts[x: cx, y: cy]), localSum: local, giStar: z))
            }
        }
        for (cell, _) in counts { cellCounts[x: Int(cell.x), y: Int(cell.y)] = 0 }
        hot.sort { $0.cell < $1.cell }
        return GiStarResult(mean: mean, standardDeviation: s, universeSize: n, hot: hot)
    }

    /// `components(_:)` for cells inside a `columns × rows` universe, on tiled arrays instead of
    /// a hash set (the hotspot tracker's hot path). Same result, same order.
    static func components(_ cells: [GridCell], columns: Int32, rows: Int32) -> [[GridCell]] {
        let cols = Int(columns)
        let rws = Int(rows)
        guard cells.allSatisfy({ $0.x >= 0 && $0.y >= 0 && Int($0.x) < cols && Int($0.y) < rws }) else { return components(cells) }
        var pending = CellTiles(columns: cols, rows: rws, fill: 0)
        for c in cells { pending[x: Int(c.x), y: Int(c.y)] = 1 }
        var out: [[GridCell]] = []
        var stack: [(x: Int, y: Int)] = []
        for start in sortedInUniverse(cells) {
            guard pending[x: Int(start.x), y: Int(start.y)] != 0 else { continue }
            pending[x: Int(start.x), y: Int(start.y)] = 0
            stack.append((Int(start.x), Int(start.y)))
            var component: [GridCell] = []
            while let (cx, cy) = stack.popLast() {
                component.append(GridCell(x: Int32(cx), y: Int32(cy)))
                for y in max(0, cy - 1)...min(rws - 1, cy + 1) {
                    for x in max(0, cx - 1)...min(cols - 1, cx + 1) where pending[x: x, y: y] != 0 {
                        pending[x: x, y: y] = 0
                        stack.append((x, y))
                    }
                }
            }
            out.append(component.sorted())  // mostly a few cells: packing them costs more than it saves
        }
        return out
    }

    /// `cells.sorted()` for cells with non-negative coordinates: each packed into one UInt64 whose
    /// plain sort is the (x, y) order, instead of comparing pairs through `Comparable`.
    static func sortedInUniverse(_ cells: [GridCell]) -> [GridCell] {
        var keys = cells.map { UInt64(UInt32(bitPattern: $0.x)) << 32 | UInt64(UInt32(bitPattern: $0.y)) }
        keys.sort()
        return keys.map { GridCell(x: Int32(truncatingIfNeeded: $0 >> 32), y: Int32(truncatingIfNeeded: $0)) }
    }

    /// 8-connected components of `cells`, each sorted, ordered by their first cell.
    static func components(_ cells: [GridCell]) -> [[GridCell]] {
        var remaining = Set(cells)
        var out: [[GridCell]] = []
        for start in cells.sorted() where remaining.contains(start) {
            var component: [GridCell] = []
            var stack = [start]
            remaining.remove(start)
            while let c = stack.popLast() {
                component.append(c)
                for dx in Int32(-1)...1 {
                    for dy in Int32(-1)...1 where dx != 0 || dy != 0 {
                        let nb = GridCell(x: c.x + dx, y: c.y + dy)
                        if remaining.remove(nb) != nil { stack.append(nb) }
                    }
                }
            }
            out.append(component.sorted())
        }
        return out
    }

    /// Convex hull (monotone chain) of the corners of `cells`, counter-clockwise, closed, in cell
    /// corner units (exact integers).
    static func hull(of cells: [GridCell]) -> [(Int64, Int64)] {
        var corners: [(Int64, Int64)] = []
        corners.reserveCapacity(cells.count * 4)
        for c in cells {
            let x = Int64(c.x)
            let y = Int64(c.y)
            corners.append((x, y))
            corners.append((x + 1, y))
            corners.append((x + 1, y + 1))
            corners.append((x, y + 1))
        }
        corners.sort { $0 < $1 }
        var sorted: [(Int64, Int64)] = []
        sorted.reserveCapacity(corners.count)
        for p in corners where sorted.last.map({ $0 != p }) ?? true { sorted.append(p) }
        guard sorted.count > 2 else { return sorted }
        func cross(_ o: (Int64, Int64), _ a: (Int64, Int64), _ b: (Int64, Int64)) -> Int64 {
            (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
        }
        var lower: [(Int64, Int64)] = []
        var upper: [(Int64, Int64)] = []
        for p in sorted {
            while lower.count >= 2, cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        for p in sorted.reversed() {
            while upper.count >= 2, cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        var hull = Array(lower.dropLast()) + Array(upper.dropLast())
        hull.append(hull[0])
        return hull
    }
}
