/// Getis-Ord Gi* over a rectangular universe of grid cells with binary 3×3 (queen + self) weights.
///
/// The universe is every cell of the grid's bounding box: `columns × rows` cells, empty ones
/// counting as zero. Gi* changes a lot with the universe, so it is fixed by configuration, not by
/// where incidents happened to fall. Integer sums keep the result independent of iteration order.
public struct GiStarResult: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var cell: GridCell
        public var count: Int
        public var localSum: Int
        public var giStar: Double
    }

    public var mean: Double
    public var standardDeviation: Double
    public var universeSize: Int
    /// Hot cells, sorted by cell.
    public var hot: [Cell]
}

/// Reusable dense arrays for `GiStar.compute` (a grid-sized scratch space, cleared sparsely).
struct GiStarScratch: Sendable {
    var counts: [Int32] = []
    var marks: [Bool] = []
}

enum GiStar {
    /// Gi* for every cell that can be hot. `counts` lists cells with non-zero counts, all inside
    /// the universe. Dense arrays make it O(cells with incidents), not O(universe) or hashing.
    static func compute(counts: [(GridCell, Int)], columns: Int32, rows: Int32, zThreshold: Double, minimumLocalCount: Int,
                        scratch: inout GiStarScratch) -> GiStarResult {
        let n = Int(columns) * Int(rows)
        if scratch.counts.count != n {
            scratch.counts = Array(repeating: 0, count: n)
            scratch.marks = Array(repeating: false, count: n)
        }
        var sum = 0, sumSquares = 0
        for (_, x) in counts { sum += x; sumSquares += x * x }
        let mean = Double(sum) / Double(n)
        let variance = Double(sumSquares) / Double(n) - mean * mean
        guard variance > 0, n > 1 else { return GiStarResult(mean: mean, standardDeviation: 0, universeSize: n, hot: []) }
        let s = variance.squareRoot()
        let cols = Int(columns), rws = Int(rows)
        for (cell, x) in counts { scratch.counts[Int(cell.y) * cols + Int(cell.x)] = Int32(x) }
        var candidates: [Int] = []
        candidates.reserveCapacity(counts.count * 4)
        for (cell, _) in counts {
            for dy in -1...1 {
                let y = Int(cell.y) + dy
                guard y >= 0, y < rws else { continue }
                for dx in -1...1 {
                    let x = Int(cell.x) + dx
                    guard x >= 0, x < cols else { continue }
                    let i = y * cols + x
                    if !scratch.marks[i] { scratch.marks[i] = true; candidates.append(i) }
                }
            }
        }
        // Threshold on the local sum depends only on the number of neighbours in the universe.
        var hot: [GiStarResult.Cell] = []
        for i in candidates {
            scratch.marks[i] = false
            let cx = i % cols, cy = i / cols
            var local = 0, weights = 0
            for y in max(0, cy - 1)...min(rws - 1, cy + 1) {
                for x in max(0, cx - 1)...min(cols - 1, cx + 1) {
                    weights += 1
                    local += Int(scratch.counts[y * cols + x])
                }
            }
            guard local >= minimumLocalCount else { continue }
            let w = Double(weights)
            let z = (Double(local) - mean * w) / (s * ((Double(n) * w - w * w) / Double(n - 1)).squareRoot())
            if z >= zThreshold {
                hot.append(.init(cell: GridCell(x: Int32(cx), y: Int32(cy)), count: Int(scratch.counts[i]), localSum: local, giStar: z))
            }
        }
        for (cell, _) in counts { scratch.counts[Int(cell.y) * cols + Int(cell.x)] = 0 }
        hot.sort { $0.cell < $1.cell }
        return GiStarResult(mean: mean, standardDeviation: s, universeSize: n, hot: hot)
    }

    /// `components(_:)` for cells inside a `columns × rows` universe, on a dense array instead of
    /// a hash set (the hotspot tracker's hot path). Same result, same order.
    static func components(_ cells: [GridCell], columns: Int32, rows: Int32) -> [[GridCell]] {
        let cols = Int(columns), rws = Int(rows)
        guard cells.allSatisfy({ $0.x >= 0 && $0.y >= 0 && Int($0.x) < cols && Int($0.y) < rws }) else { return components(cells) }
        var pending = [Bool](repeating: false, count: cols * rws)
        for c in cells { pending[Int(c.y) * cols + Int(c.x)] = true }
        var out: [[GridCell]] = []
        var stack: [Int] = []
        for start in cells.sorted() {
            let s = Int(start.y) * cols + Int(start.x)
            guard pending[s] else { continue }
            pending[s] = false
            stack.append(s)
            var component: [GridCell] = []
            while let i = stack.popLast() {
                let cx = i % cols, cy = i / cols
                component.append(GridCell(x: Int32(cx), y: Int32(cy)))
                for y in max(0, cy - 1)...min(rws - 1, cy + 1) {
                    for x in max(0, cx - 1)...min(cols - 1, cx + 1) where pending[y * cols + x] {
                        pending[y * cols + x] = false
                        stack.append(y * cols + x)
                    }
                }
            }
            out.append(component.sorted())
        }
        return out
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
            let x = Int64(c.x), y = Int64(c.y)
            corners.append((x, y)); corners.append((x + 1, y)); corners.append((x + 1, y + 1)); corners.append((x, y + 1))
        }
        corners.sort { $0 < $1 }
        var sorted: [(Int64, Int64)] = []
        sorted.reserveCapacity(corners.count)
        for p in corners where sorted.last.map({ $0 != p }) ?? true { sorted.append(p) }
        guard sorted.count > 2 else { return sorted }
        func cross(_ o: (Int64, Int64), _ a: (Int64, Int64), _ b: (Int64, Int64)) -> Int64 {
            (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
        }
        var lower: [(Int64, Int64)] = [], upper: [(Int64, Int64)] = []
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
