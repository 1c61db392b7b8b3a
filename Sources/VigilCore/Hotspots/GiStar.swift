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

    /// `components(_:)` for cells inside a `columns × rows` universe, labelled in one walk of the
    /// cells in (x, y) order instead of through a hash set (the hotspot tracker's hot path). Same
    /// result, same order.
    static func components(_ cells: [GridCell], columns: Int32, rows: Int32) -> [[GridCell]] {
        var numbers: [Int32] = []
        return components(cells, columns: columns, rows: rows, componentOfCell: &numbers)
    }

    /// `components(_:columns:rows:)` that also says, when it can at no cost, which component each
    /// cell is in: with `cells` sorted and distinct (the hot list always is), `componentOfCell` is
    /// left holding, for each cell in `cells`' order, the index of its component in the result;
    /// otherwise it is left empty. The tracker used to find each component cell's place again
    /// through the hot-cell index, a tile lookup per hot cell and evaluation.
    static func components(
        _ cells: [GridCell], columns: Int32, rows: Int32, componentOfCell numbers: inout [Int32]
    ) -> [[GridCell]] {
        numbers.removeAll(keepingCapacity: true)
        let cols = Int(columns)
        let rws = Int(rows)
        guard cells.allSatisfy({ $0.x >= 0 && $0.y >= 0 && Int($0.x) < cols && Int($0.y) < rws }) else { return components(cells) }
        // Cells in (x, y) order (the hot list usually arrives sorted: checked in one pass). A
        // component's label is its number in the order of its first cell, so one pass over the
        // sorted cells appends each component's cells already sorted: no sort per component.
        let inOrder = isSortedInUniverse(cells)
        let sorted = inOrder ? cells : sortedInUniverse(cells)
        guard !sorted.isEmpty else { return [] }
        var out: [[GridCell]] = []
        var distinct = true
        let numbered = [Int32](unsafeUninitializedCapacity: sorted.count) { buffer, written in
            out = labelSortedComponents(sorted, numbers: buffer.baseAddress!, distinct: &distinct)
            written = sorted.count
        }
        if inOrder, distinct { numbers = numbered }
        return out
    }

    /// The labelling of `components(_:columns:rows:)` for cells in (x, y) order, by a union–find
    /// over the runs of consecutive cells within a column.
    ///
    /// In (x, y) order a column's cells are a stretch of `sorted`, ascending in y, and a run of
    /// consecutive y (a segment) is connected whole. A segment's 8-neighbours that come before it
    /// are the segments of column x − 1 whose y ranges, widened by one, meet its own: both
    /// columns' segments ascend, so one cursor into column x − 1's finds them. Segments join (ids
    /// given in order of first cell, a union keeping the smaller id), so a component's root is its
    /// first segment, which holds its first cell, and the components are numbered in the order of
    /// their first cells. Hot cells lie in blobs, so there are a few cells to a segment: the
    /// union–find over single cells spent ~115 instructions a cell, mostly on its neighbour
    /// searches. Nothing is read but `sorted` and the segments: a label array over the cells' box
    /// (a city's area, three rows apart per cell) cost a cache miss or two per neighbour.
    /// Each cell's component index (0-based, in the result's order) is written to `numbers` in
    /// `sorted`'s order; `distinct` becomes false when a cell repeats.
    private static func labelSortedComponents(
        _ sorted: [GridCell], numbers out: UnsafeMutablePointer<Int32>, distinct: inout Bool
    ) -> [[GridCell]] {
        let n = sorted.count
        // Per segment (at most n): its first position in `sorted`, its column, its y range, the
        // distinct cells it holds, its parent (union–find over segment indices) and its number.
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 8 * n + 1) { scratch in
            let start = scratch.baseAddress!
            let column = start + n + 1
            let low = column + n
            let high = low + n
            let held = high + n
            let parent = held + n
            let number = parent + n
            let size = number + n  // distinct cells per component
            @inline(__always) func find(_ a: Int32) -> Int32 {
                var a = a
                while parent[Int(a)] != a {
                    parent[Int(a)] = parent[Int(parent[Int(a)])]  // path halving
                    a = parent[Int(a)]
                }
                return a
            }
            @inline(__always) func join(_ a: Int32, _ b: Int32) {
                let ra = find(a)
                let rb = find(b)
                if ra < rb { parent[Int(rb)] = ra } else if rb < ra { parent[Int(ra)] = rb }
            }
            return sorted.withUnsafeBufferPointer { cells in
                // The segments, in order.
                var segments = 0
                for k in 0..<n {
                    let c = cells[k]
                    if k > 0 {
                        let p = cells[k &- 1]
                        if c.x == p.x, c.y == p.y {  // a repeated cell: its first copy's segment
                            distinct = false
                            continue
                        }
                        if c.x == p.x, c.y == p.y &+ 1 {
                            high[segments &- 1] = c.y
                            held[segments &- 1] &+= 1
                            continue
                        }
                    }
                    start[segments] = Int32(truncatingIfNeeded: k)
                    column[segments] = c.x
                    low[segments] = c.y
                    high[segments] = c.y
                    held[segments] = 1
                    parent[segments] = Int32(truncatingIfNeeded: segments)
                    segments &+= 1
                }
                start[segments] = Int32(truncatingIfNeeded: n)
                // Joins with column x − 1: its segments are previousStart..<previousEnd.
                var currentColumn = Int32.min
                var columnStart = 0
                var previousStart = 0
                var previousEnd = 0
                var cursor = 0
                for s in 0..<segments {
                    let x = column[s]
                    if x != currentColumn {
                        if currentColumn != Int32.min, x == currentColumn &+ 1 {
                            previousStart = columnStart
                            previousEnd = s
                        } else {
                            previousStart = s
                            previousEnd = s
                        }
                        currentColumn = x
                        columnStart = s
                        cursor = previousStart
                    }
                    // Column x − 1's segments ending above this one's reach meet no later one either.
                    let reachLow = Int64(low[s]) &- 1
                    let reachHigh = Int64(high[s]) &+ 1
                    while cursor < previousEnd, Int64(high[cursor]) < reachLow { cursor &+= 1 }
                    var q = cursor
                    while q < previousEnd, Int64(low[q]) <= reachHigh {
                        join(Int32(truncatingIfNeeded: q), Int32(truncatingIfNeeded: s))
                        q &+= 1
                    }
                }
                // The roots numbered in the order of their first cells, each cell given its
                // segment's number (a repeated cell the number of its first copy's segment).
                var components: Int32 = 0
                for s in 0..<segments {
                    let r = Int(find(Int32(truncatingIfNeeded: s)))
                    let component: Int32
                    if r == s {
                        component = components
                        size[Int(components)] = 0
                        components &+= 1
                    } else {
                        component = number[r]
                    }
                    number[s] = component
                    size[Int(component)] &+= held[s]
                    for k in Int(start[s])..<Int(start[s &+ 1]) { out[k] = component }
                }
                let sizes = (0..<Int(components)).map { Int(size[$0]) }
                return gather(cells, sizes: sizes, numbers: UnsafePointer(out))
            }
        }
    }

    /// Each component's cells (component `numbers[k]` for the cell at position k of `sorted`), in
    /// the order of `sorted`, a repeated cell listed once.
    private static func gather(_ sorted: UnsafeBufferPointer<GridCell>, sizes: [Int], numbers: UnsafePointer<Int32>) -> [[GridCell]] {
        // Each component's cells scattered into its run of one flat buffer (runs in component
        // order), then each run copied out whole: appending cell by cell to an array of arrays
        // checked both arrays' uniqueness and capacity for every cell.
        let total = sizes.reduce(0, +)
        return withUnsafeTemporaryAllocation(of: GridCell.self, capacity: max(total, 1)) { flat in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: sizes.count + 1) { next in
                var start = 0
                for (k, size) in sizes.enumerated() {
                    next[k] = start
                    start += size
                }
                for k in sorted.indices where k == 0 || sorted[k] != sorted[k &- 1] {
                    let component = Int(numbers[k])
                    flat.initializeElement(at: next[component], to: sorted[k])
                    next[component] += 1
                }
                var out: [[GridCell]] = []
                out.reserveCapacity(sizes.count)
                var from = 0
                for size in sizes {
                    out.append(Array(UnsafeBufferPointer(rebasing: flat[from..<(from + size)])))
                    from += size
                }
                return out
            }
        }
    }

    /// Whether `cells` are in the order `sortedInUniverse` gives (non-decreasing packed x, y).
    static func isSortedInUniverse(_ cells: [GridCell]) -> Bool {
        var last: UInt64 = 0
        for c in cells {
            let key = UInt64(UInt32(bitPattern: c.x)) << 32 | UInt64(UInt32(bitPattern: c.y))
            if key < last { return false }
            last = key
        }
        return true
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
