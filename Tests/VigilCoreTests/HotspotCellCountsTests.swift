import Testing

@testable import VigilCore

@Suite("HotspotCellCounts")
struct HotspotCellCountsTests {
    /// Window of 4 daily buckets; events land up to a day behind the newest (like allowed lateness).
    static let spec = WindowSpec(horizon: .days(4), resolution: .days(1))

    /// Exact per-cell counts of the window ending at `end`, from the raw events.
    static func brute(_ events: [(GridCell, Timestamp)], end: Int64) -> [(GridCell, Int)] {
        var counts: [GridCell: Int] = [:]
        for (cell, t) in events {
            let b = spec.bucket(t)
            if b > end - Int64(spec.buckets) && b <= end { counts[cell, default: 0] += 1 }
        }
        return counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    @Test("incremental counts and Gi* equal a recomputation from the events at every evaluation")
    func matchesRecomputation() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        var evaluations = 0
        var hot = 0
        for round in 0..<40 {
            let columns = Int32.random(in: 3...12, using: &rng)
            let rows = Int32.random(in: 3...12, using: &rng)
            var counts = HotspotCellCounts(spec: Self.spec, columns: columns, rows: rows)
            var hotSet = GiStarHotSet(columns: Int(columns), rows: Int(rows))
            var events: [(GridCell, Timestamp)] = []
            var now: Int64 = Int64.random(in: -5...5, using: &rng) * 86_400_000
            var nextEnd: Int64?
            for _ in 0..<400 {
                now += Int64.random(in: 0...(6 * 3_600_000), using: &rng)
                // Some events a little late, some cells just outside the universe (ignored by Gi*).
                let t = Timestamp(milliseconds: now - Int64.random(in: 0...(20 * 3_600_000), using: &rng))
                let cell = GridCell(x: Int32.random(in: -1...columns, using: &rng), y: Int32.random(in: 0..<rows, using: &rng))
                let end = Self.spec.bucket(Timestamp(milliseconds: now - 86_400_000))
                if nextEnd.map({ end >= $0 }) ?? true, Bool.random(using: &rng) {
                    let advanced = counts.advance(to: end)
                    #expect(advanced)
                    nextEnd = end
                    evaluations += 1
                    let inUniverse = events.filter { $0.0.x >= 0 && $0.0.x < columns }
                    // Only events before the evaluation end count (later ones wait in the log).
                    let want = Self.brute(inUniverse, end: end)
                    let got = counts.nonZero.sorted { $0.0 < $1.0 }
                    #expect(got.map(\.0) == want.map(\.0) && got.map(\.1) == want.map(\.1), "round \(round)")
                    var scratch = GiStarScratch()
                    let z = Double.random(in: 0.5...2.5, using: &rng)
                    let minimum = Int.random(in: 1...4, using: &rng)
                    let reference = GiStar.compute(
                        counts: want, columns: columns, rows: rows, zThreshold: z, minimumLocalCount: minimum, scratch: &scratch)
                    let result = hotSet.evaluate(&counts, zThreshold: z, minimumLocalCount: minimum)
                    #expect(result == reference, "round \(round)")
                    hot += result.hot.count
                }
                // Events older than the last evaluated window can never matter again.
                if let e = nextEnd, Self.spec.bucket(t) <= e - Int64(Self.spec.buckets) { continue }
                counts.add(cell, at: t)
                events.append((cell, t))
            }
        }
        #expect(evaluations > 100 && hot > 50)
    }

    @Test("a move back in time is refused, so the engine recounts from its window table")
    func refusesBackwards() {
        var counts = HotspotCellCounts(spec: Self.spec, columns: 4, rows: 4)
        counts.add(GridCell(x: 1, y: 1), at: .init(milliseconds: 5 * 86_400_000))
        let first = counts.advance(to: 5)
        let same = counts.advance(to: 5)
        let back = counts.advance(to: 4)
        #expect(first && same && !back)
        #expect(counts.nonZero.map(\.1) == [1])
    }

    @Test("across many tiles and a country-sized universe: same Gi* as a recomputation, memory by activity")
    func largeUniverse() {
        var rng = SplitMix64(seed: 0x7113)
        // 250 m cells over Canada's bounding box: ~18,000 × 18,000 cells (a dense array would be 1.3 GB).
        for (columns, rows) in [(Int32(200), Int32(150)), (Int32(18_200), Int32(18_400))] {
            var counts = HotspotCellCounts(spec: Self.spec, columns: columns, rows: rows)
            var hotSets = [1, 5].map { _ in GiStarHotSet(columns: Int(columns), rows: Int(rows)) }
            var events: [(GridCell, Timestamp)] = []
            // Two dense clusters far apart (different tiles), plus scattered noise, over ~12 days.
            let centres = [GridCell(x: 5, y: 7), GridCell(x: columns - 40, y: rows - 30)]
            var now: Int64 = 0
            var hot = 0
            for step in 0..<3000 {
                now += Int64.random(in: 0...(400_000), using: &rng)
                let cell: GridCell
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    cell = GridCell(x: Int32.random(in: 0..<columns, using: &rng), y: Int32.random(in: 0..<rows, using: &rng))
                } else {
                    let c = centres[step % 2]
                    cell = GridCell(x: c.x + Int32.random(in: -3...3, using: &rng), y: c.y + Int32.random(in: -3...3, using: &rng))
                }
                counts.add(cell, at: Timestamp(milliseconds: now))
                events.append((cell, Timestamp(milliseconds: now)))
                if step % 250 == 249 {
                    let end = Self.spec.bucket(Timestamp(milliseconds: now))
                    let advanced = counts.advance(to: end)
                    #expect(advanced)
                    let want = Self.brute(events, end: end)
                    var scratch = GiStarScratch()
                    for (k, minimum) in [1, 5].enumerated() {
                        let reference = GiStar.compute(
                            counts: want, columns: columns, rows: rows, zThreshold: 3.09, minimumLocalCount: minimum, scratch: &scratch)
                        // Each hot set takes the changed cells from its own copy of the counts.
                        var copy = counts
                        let result = hotSets[k].evaluate(&copy, zThreshold: 3.09, minimumLocalCount: minimum)
                        #expect(result == reference, "\(columns)x\(rows) step \(step)")
                        hot += result.hot.count
                    }
                }
            }
            #expect(hot > 100)
            if columns > 10_000 {
                // Directory (4 bytes per 1,024 cells, 3 arrays) plus the tiles incidents touched.
                #expect(counts.tileBytes < 16_000_000, "\(counts.tileBytes) bytes")
            }
        }
    }
}
