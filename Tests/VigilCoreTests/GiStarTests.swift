import Foundation
import Testing

@testable import VigilCore

@Suite("GiStar")
struct GiStarTests {
    /// A 5×5 universe with five non-empty cells: sum 23, sum of squares 129, n 25,
    /// mean 0.92, S² = 129/25 − 0.92² = 4.3136.
    static let small: [(GridCell, Int)] = [
        (GridCell(x: 2, y: 2), 8), (GridCell(x: 1, y: 2), 4), (GridCell(x: 0, y: 0), 6),
        (GridCell(x: 0, y: 1), 3), (GridCell(x: 2, y: 0), 2)
    ]

    static func compute(
        _ counts: [(GridCell, Int)], columns: Int32 = 5, rows: Int32 = 5, z: Double = -.infinity,
        minimumLocalCount: Int = 0
    ) -> GiStarResult {
        var scratch = GiStarScratch()
        return GiStar.compute(
            counts: counts, columns: columns, rows: rows, zThreshold: z, minimumLocalCount: minimumLocalCount,
            scratch: &scratch)
    }

    // MARK: compute

    @Test("hand-computed Gi* for a centre (W = 9), an edge (W = 6) and a corner (W = 4) cell")
    func handComputed() throws {
        // A threshold of -∞ reports every candidate cell (those within one cell of an incident).
        let result = Self.compute(Self.small)
        #expect(result.universeSize == 25)
        #expect(abs(result.mean - 0.92) < 1e-15)
        #expect(abs(result.standardDeviation - 4.3136.squareRoot()) < 1e-14)
        let s = 4.3136.squareRoot()
        func cell(_ x: Int32, _ y: Int32) throws -> GiStarResult.Cell {
            try #require(result.hot.first { $0.cell == GridCell(x: x, y: y) }, "x\(x)y\(y) is a candidate")
        }
        // Gi* = (L − mean·W) / (S · sqrt((n·W − W²) / (n − 1))).
        let centre = try cell(2, 2)  // 3×3: (2,2)=8, (1,2)=4
        #expect(centre.localSum == 12 && centre.count == 8)
        #expect(abs(centre.giStar - (12 - 0.92 * 9) / (s * ((25.0 * 9 - 81) / 24).squareRoot())) < 1e-12)
        #expect(abs(centre.giStar - 0.7312188515773351) < 1e-12)
        let edge = try cell(0, 2)  // x 0…1, y 1…3: (0,1)=3, (1,2)=4
        #expect(edge.localSum == 7 && edge.count == 0)
        #expect(abs(edge.giStar - (7 - 0.92 * 6) / (s * ((25.0 * 6 - 36) / 24).squareRoot())) < 1e-12)
        #expect(abs(edge.giStar - 0.326960263965039) < 1e-12)
        let corner = try cell(0, 0)  // x 0…1, y 0…1: (0,0)=6, (0,1)=3
        #expect(corner.localSum == 9 && corner.count == 6)
        #expect(abs(corner.giStar - (9 - 0.92 * 4) / (s * ((25.0 * 4 - 16) / 24).squareRoot())) < 1e-12)
        #expect(abs(corner.giStar - 1.3691709462732162) < 1e-12)
        let all = try cell(1, 1)  // its 3×3 holds every incident
        #expect(all.localSum == 23 && abs(all.giStar - 2.8934251331232193) < 1e-12)
        // Far from every incident: not a candidate.
        #expect(result.hot.first { $0.cell == GridCell(x: 4, y: 4) } == nil)
        #expect(result.hot.map(\.cell) == result.hot.map(\.cell).sorted(), "sorted by cell")
    }

    @Test("a threshold keeps exactly the cells at or above it")
    func threshold() throws {
        let all = Self.compute(Self.small).hot
        let corner = try #require(all.first { $0.cell == GridCell(x: 0, y: 0) })
        let hot = Self.compute(Self.small, z: corner.giStar).hot
        #expect(hot == all.filter { $0.giStar >= corner.giStar })
        #expect(hot.contains { $0.cell == GridCell(x: 0, y: 0) }, "z exactly at the threshold is hot")
        #expect(hot.contains { $0.cell == GridCell(x: 1, y: 1) })
        #expect(!hot.contains { $0.cell == GridCell(x: 2, y: 2) })
    }

    @Test("minimumLocalCount: a cell whose 3×3 holds fewer incidents is never hot, whatever its z")
    func minimumLocalCountGuard() {
        let guarded = Self.compute(Self.small, minimumLocalCount: 9)
        #expect(!guarded.hot.isEmpty && guarded.hot.allSatisfy { $0.localSum >= 9 })
        #expect(guarded.hot.contains { $0.cell == GridCell(x: 0, y: 0) }, "local sum exactly 9 passes")
        #expect(!guarded.hot.contains { $0.cell == GridCell(x: 0, y: 2) }, "local sum 7 does not")

        // One cell with 3 incidents in a 30×30 universe is extremely "significant" (z ≈ 10) …
        let lonely = [(GridCell(x: 15, y: 15), 3)]
        let unguarded = Self.compute(lonely, columns: 30, rows: 30, z: 3.09, minimumLocalCount: 1)
        #expect(unguarded.hot.count == 9 && unguarded.hot.allSatisfy { $0.giStar > 9 })
        // … but 3 incidents are not a cluster: the tiny-count guard keeps it cold.
        #expect(Self.compute(lonely, columns: 30, rows: 30, z: 3.09, minimumLocalCount: 5).hot.isEmpty)
        #expect(Self.compute(lonely, columns: 30, rows: 30, z: 3.09, minimumLocalCount: 3).hot.count == 9)
    }

    @Test("no variance, no hot cells")
    func noVariance() {
        #expect(Self.compute([]).hot.isEmpty)
        let uniform = (0..<25).map { (GridCell(x: Int32($0 % 5), y: Int32($0 / 5)), 4) }
        let result = Self.compute(uniform)
        #expect(result.hot.isEmpty && result.standardDeviation == 0 && result.mean == 4)
    }

    /// Dense brute force over every cell of the universe, for comparison.
    static func bruteForce(
        _ counts: [(GridCell, Int)], columns: Int, rows: Int, z threshold: Double,
        minimumLocalCount: Int
    ) -> [GiStarResult.Cell] {
        var grid = Array(repeating: Array(repeating: 0, count: columns), count: rows)
        for (c, x) in counts { grid[Int(c.y)][Int(c.x)] = x }
        let n = Double(columns * rows)
        let values = grid.flatMap { $0 }
        let mean = Double(values.reduce(0, +)) / n
        let variance = Double(values.map { $0 * $0 }.reduce(0, +)) / n - mean * mean
        guard variance > 0 else { return [] }
        let s = variance.squareRoot()
        var out: [GiStarResult.Cell] = []
        for y in 0..<rows {
            for x in 0..<columns {
                var local = 0
                var w = 0
                for ny in (y - 1)...(y + 1) where ny >= 0 && ny < rows {
                    for nx in (x - 1)...(x + 1) where nx >= 0 && nx < columns {
                        local += grid[ny][nx]
                        w += 1
                    }
                }
                let wd = Double(w)
                let z = (Double(local) - mean * wd) / (s * ((n * wd - wd * wd) / (n - 1)).squareRoot())
                if local >= minimumLocalCount && z >= threshold {
                    out.append(.init(cell: GridCell(x: Int32(x), y: Int32(y)), count: grid[y][x], localSum: local, giStar: z))
                }
            }
        }
        return out.sorted { $0.cell < $1.cell }
    }

    @Test("the sparse computation equals a dense brute force on random universes")
    func matchesBruteForce() {
        var rng = SplitMix64(seed: 0x6157A2)
        var scratch = GiStarScratch()
        var hotSeen = 0
        for round in 0..<300 {
            let columns = Int.random(in: 4...14, using: &rng)
            let rows = Int.random(in: 4...14, using: &rng)
            var cells = Set<GridCell>()
            for _ in 0..<Int.random(in: 0...(columns * rows / 3), using: &rng) {
                cells.insert(
                    GridCell(x: Int32.random(in: 0..<Int32(columns), using: &rng), y: Int32.random(in: 0..<Int32(rows), using: &rng)))
            }
            let counts = cells.sorted().map { ($0, Int.random(in: 1...12, using: &rng)) }.shuffled(using: &rng)
            let z = Double.random(in: 0.5...3.5, using: &rng)
            let minimum = Int.random(in: 1...10, using: &rng)
            // The same scratch across universes of different sizes.
            let got = GiStar.compute(
                counts: counts, columns: Int32(columns), rows: Int32(rows), zThreshold: z,
                minimumLocalCount: minimum, scratch: &scratch)
            let want = Self.bruteForce(counts, columns: columns, rows: rows, z: z, minimumLocalCount: minimum)
            hotSeen += want.count
            #expect(got.hot.map(\.cell) == want.map(\.cell), "round \(round)")
            #expect(got.hot.map(\.localSum) == want.map(\.localSum) && got.hot.map(\.count) == want.map(\.count), "round \(round)")
            for (a, b) in zip(got.hot, want) { #expect(abs(a.giStar - b.giStar) <= 1e-12 * max(1, abs(b.giStar))) }
        }
        #expect(hotSeen > 100)
    }

    @Test("the result does not depend on the order of the counts, nor on what the scratch held before")
    func orderIndependent() {
        var rng = SplitMix64(seed: 0x0D3)
        var cells = Set<GridCell>()
        while cells.count < 60 {
            cells.insert(GridCell(x: Int32.random(in: 0..<20, using: &rng), y: Int32.random(in: 0..<20, using: &rng)))
        }
        let counts = cells.sorted().map { ($0, Int.random(in: 1...9, using: &rng)) }
        let reference = Self.compute(counts, columns: 20, rows: 20, z: 1.5, minimumLocalCount: 3)
        #expect(!reference.hot.isEmpty)
        var scratch = GiStarScratch()
        for _ in 0..<10 {
            let shuffled = counts.shuffled(using: &rng)
            let result = GiStar.compute(counts: shuffled, columns: 20, rows: 20, zThreshold: 1.5, minimumLocalCount: 3, scratch: &scratch)
            #expect(result == reference)
            // Something else in between: the scratch must come back clean.
            _ = GiStar.compute(
                counts: Array(shuffled.prefix(7)), columns: 20, rows: 20, zThreshold: 0.1, minimumLocalCount: 1, scratch: &scratch)
        }
        #expect(scratch.counts?.isAllFill == true && scratch.marks?.isAllFill == true)
    }

    // MARK: components

    @Test("components are 8-connected: a diagonal touch joins, a gap separates")
    func eightConnectivity() {
        #expect(GiStar.components([]).isEmpty)
        #expect(GiStar.components([GridCell(x: 1, y: 1), GridCell(x: 0, y: 0)]) == [[GridCell(x: 0, y: 0), GridCell(x: 1, y: 1)]])
        #expect(GiStar.components([GridCell(x: 0, y: 1), GridCell(x: 1, y: 0)]) == [[GridCell(x: 0, y: 1), GridCell(x: 1, y: 0)]])
        #expect(GiStar.components([GridCell(x: 0, y: 0), GridCell(x: 2, y: 0)]).count == 2)
        #expect(GiStar.components([GridCell(x: 0, y: 0), GridCell(x: 2, y: 2)]).count == 2)
    }

    @Test("components are sorted, ordered by their first cell, and independent of input order")
    func componentOrder() {
        let chain = [GridCell(x: 5, y: 5), GridCell(x: 6, y: 6), GridCell(x: 7, y: 7)]
        let pair = [GridCell(x: 0, y: 0), GridCell(x: 0, y: 1)]
        let single = [GridCell(x: 10, y: 0)]
        let negative = [GridCell(x: -3, y: -3), GridCell(x: -2, y: -4)]
        let expected = [negative, pair, chain, single]
        var rng = SplitMix64(seed: 0xC0)
        for _ in 0..<20 {
            #expect(GiStar.components((chain + pair + single + negative).shuffled(using: &rng)) == expected)
        }
    }

    @Test("components partition random cell sets into maximal connected parts")
    func componentsProperty() {
        var rng = SplitMix64(seed: 0xC011)
        for _ in 0..<100 {
            var cells = Set<GridCell>()
            for _ in 0..<Int.random(in: 0...80, using: &rng) {
                cells.insert(GridCell(x: Int32.random(in: -6...8, using: &rng), y: Int32.random(in: -6...8, using: &rng)))
            }
            let components = GiStar.components(Array(cells).shuffled(using: &rng))
            #expect(Set(components.flatMap { $0 }) == cells && components.map(\.count).reduce(0, +) == cells.count)
            #expect(components.map { $0[0] } == components.map { $0[0] }.sorted())
            func touches(_ a: GridCell, _ b: GridCell) -> Bool { a != b && abs(a.x - b.x) <= 1 && abs(a.y - b.y) <= 1 }
            var owner: [GridCell: Int] = [:]
            for (i, component) in components.enumerated() {
                #expect(component == component.sorted())
                for c in component { owner[c] = i }
                // Connected: a flood fill inside the component reaches all of it.
                var seen: Set<GridCell> = [component[0]]
                var stack = [component[0]]
                let members = Set(component)
                while let c = stack.popLast() {
                    for d in members where touches(c, d) && !seen.contains(d) {
                        seen.insert(d)
                        stack.append(d)
                    }
                }
                #expect(seen == members)
            }
            // Maximal: no two components touch.
            for a in cells { for b in cells where touches(a, b) { #expect(owner[a] == owner[b]) } }
        }
    }

    @Test("components in a universe (dense box or tiles) equal the hash-set components, in any input order")
    func universeComponentsEqualHashSetComponents() {
        var rng = SplitMix64(seed: 0xC012)
        for round in 0..<200 {
            // Clustered cells take the dense bounding-box path; cells scattered over a large
            // universe take the tiled one. Some inputs arrive sorted, some repeat a cell.
            let scattered = round % 3 == 0
            let side: Int32 = scattered ? 5_000 : 40
            var cells: [GridCell] = []
            for _ in 0..<Int.random(in: 0...120, using: &rng) {
                cells.append(GridCell(x: Int32.random(in: 0..<side, using: &rng), y: Int32.random(in: 0..<side, using: &rng)))
            }
            if scattered { for _ in 0..<10 { cells.append(GridCell(x: cells.first.map { $0.x + 1 } ?? 0, y: cells.first?.y ?? 1)) } }
            if round % 4 == 1, let c = cells.first { cells.append(c) }
            if round % 2 == 0 { cells.sort() } else { cells.shuffle(using: &rng) }
            let expected = GiStar.components(cells)
            #expect(GiStar.components(cells, columns: side + 1, rows: side + 1) == expected, "round \(round)")
        }
        // On the universe's edges (no margin cell outside it is ever listed).
        let edges = [GridCell(x: 0, y: 0), GridCell(x: 1, y: 1), GridCell(x: 9, y: 9), GridCell(x: 9, y: 0), GridCell(x: 8, y: 1)]
        #expect(GiStar.components(edges, columns: 10, rows: 10) == GiStar.components(edges))
    }

    // MARK: hull

    /// Twice the signed area (positive when counter-clockwise).
    static func doubleArea(_ ring: [(Int64, Int64)]) -> Int64 {
        zip(ring, ring.dropFirst()).map { $0.0 * $1.1 - $1.0 * $0.1 }.reduce(0, +)
    }

    @Test("the hull of an L-shape is its convex hull, closed, counter-clockwise")
    func lShapeHull() {
        let l = [GridCell(x: 0, y: 0), GridCell(x: 0, y: 1), GridCell(x: 0, y: 2), GridCell(x: 1, y: 0), GridCell(x: 2, y: 0)]
        let hull = GiStar.hull(of: l)
        // The corners (0,3)…(3,0) of the 3×3 square with the (1,3)-(3,3)-(3,1) triangle cut off.
        let expected: [(Int64, Int64)] = [(0, 0), (3, 0), (3, 1), (1, 3), (0, 3), (0, 0)]
        #expect(hull.map { [$0.0, $0.1] } == expected.map { [$0.0, $0.1] })
        #expect(hull.first! == hull.last!, "closed")
        #expect(Self.doubleArea(hull) == 14, "area 7 (9 − 2), positive: counter-clockwise")
        var rng = SplitMix64(seed: 0x4011)
        for _ in 0..<10 { #expect(GiStar.hull(of: l.shuffled(using: &rng)).map { [$0.0, $0.1] } == expected.map { [$0.0, $0.1] }) }
    }

    @Test("hulls of a single cell, a row, and negative cells are their rectangles")
    func rectangleHulls() {
        func ring(_ cells: [GridCell]) -> [[Int64]] { GiStar.hull(of: cells).map { [$0.0, $0.1] } }
        #expect(ring([GridCell(x: 0, y: 0)]) == [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]])
        #expect(ring([GridCell(x: -2, y: -3)]) == [[-2, -3], [-1, -3], [-1, -2], [-2, -2], [-2, -3]])
        #expect(
            ring([GridCell(x: 2, y: 0), GridCell(x: 0, y: 0), GridCell(x: 1, y: 0)]) == [[0, 0], [3, 0], [3, 1], [0, 1], [0, 0]],
            "collinear corners are dropped")
    }

    @Test("random hulls are closed, strictly convex, counter-clockwise and contain every corner")
    func hullProperty() {
        var rng = SplitMix64(seed: 0x4C11)
        for _ in 0..<200 {
            let cells = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                GridCell(x: Int32.random(in: -5...5, using: &rng), y: Int32.random(in: -5...5, using: &rng))
            }
            let hull = GiStar.hull(of: cells)
            #expect(hull.count >= 5 && hull.first! == hull.last!)
            #expect(Self.doubleArea(hull) > 0)
            let open = Array(hull.dropLast())
            func cross(_ o: (Int64, Int64), _ a: (Int64, Int64), _ b: (Int64, Int64)) -> Int64 {
                (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
            }
            for i in open.indices {
                let (a, b, c) = (open[i], open[(i + 1) % open.count], open[(i + 2) % open.count])
                #expect(cross(a, b, c) > 0, "strict left turn at every vertex")
            }
            for cell in cells {
                let x = Int64(cell.x)
                let y = Int64(cell.y)
                for p in [(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1)] {
                    for i in open.indices { #expect(cross(open[i], open[(i + 1) % open.count], p) >= 0, "corner inside") }
                }
            }
            #expect(GiStar.hull(of: cells.shuffled(using: &rng)).map { [$0.0, $0.1] } == hull.map { [$0.0, $0.1] })
        }
    }
}
