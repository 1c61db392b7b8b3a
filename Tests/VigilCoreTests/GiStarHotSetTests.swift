import Testing

@testable import VigilCore

/// The hot set kept across evaluations (`GiStarHotSet`) must give exactly what the from-scratch
/// `GiStar.compute(counts:…)` gives over the same window, after any sequence of window moves, late
/// incidents and threshold changes: its result feeds hotspot ids and alerts, compared byte for byte.
@Suite("GiStar: hot set kept across evaluations")
struct GiStarHotSetTests {
    static let spec = WindowSpec(horizon: .days(5), resolution: .days(1))

    @Test("random window moves: every evaluation equals GiStar.compute from scratch, mostly without a rebuild")
    func incrementalEqualsFromScratch() {
        var rng = SplitMix64(seed: 0x6157_A4)
        var evaluations = 0
        var incremental = 0
        var hotSeen = 0
        var hotChanges = 0
        // Narrow universes (one or two columns or rows) have other weight counts than 4, 6 and 9.
        let shapes: [(Int32, Int32)] = [(1, 9), (2, 7), (9, 1), (7, 2), (2, 2), (3, 3), (12, 10), (40, 33), (70, 64)]
        for round in 0..<60 {
            let (columns, rows) = shapes[round % shapes.count]
            var counts = HotspotCellCounts(spec: Self.spec, columns: columns, rows: rows)
            var hotSet = GiStarHotSet(columns: Int(columns), rows: Int(rows))
            var z = Double.random(in: 1.2...3.2, using: &rng)
            var minimum = Int.random(in: 1...5, using: &rng)
            // A few busy places that drift, over scattered noise: hot cells come and go day by day.
            var centres = (0..<3).map { _ in
                GridCell(x: Int32.random(in: 0..<columns, using: &rng), y: Int32.random(in: 0..<rows, using: &rng))
            }
            var now: Int64 = Int64.random(in: -3...3, using: &rng) * 86_400_000
            var end: Int64?
            var previous: [GridCell] = []
            for step in 0..<1_500 {
                now += Int64.random(in: 0...(2 * 3_600_000), using: &rng)
                if step % 97 == 0 {
                    let k = Int.random(in: 0..<centres.count, using: &rng)
                    centres[k] = GridCell(x: Int32.random(in: 0..<columns, using: &rng), y: Int32.random(in: 0..<rows, using: &rng))
                }
                let cell: GridCell
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    cell = GridCell(x: Int32.random(in: 0..<columns, using: &rng), y: Int32.random(in: 0..<rows, using: &rng))
                } else {
                    let c = centres[Int.random(in: 0..<centres.count, using: &rng)]
                    cell = GridCell(
                        x: min(columns - 1, max(0, c.x + Int32.random(in: -1...1, using: &rng))),
                        y: min(rows - 1, max(0, c.y + Int32.random(in: -1...1, using: &rng))))
                }
                // Up to a day late: some land in the window already evaluated (counted at once).
                counts.add(cell, at: Timestamp(milliseconds: now - Int64.random(in: 0...86_400_000, using: &rng)))
                guard Int.random(in: 0..<12, using: &rng) == 0 else { continue }
                // The window moves by 0–2 buckets; now and then the rule's thresholds change (a reload).
                let target = Self.spec.bucket(Timestamp(milliseconds: now)) - Int64.random(in: 0...1, using: &rng)
                guard counts.advance(to: max(target, end ?? target)) else {
                    Issue.record("advance refused")
                    return
                }
                end = counts.end
                if Int.random(in: 0..<25, using: &rng) == 0 {
                    z = Double.random(in: 1.2...3.2, using: &rng)
                    minimum = Int.random(in: 1...5, using: &rng)
                }
                let rebuildsBefore = hotSet.rebuilds
                var scratch = GiStarScratch()
                let reference = GiStar.compute(
                    counts: counts.nonZero, columns: columns, rows: rows, zThreshold: z, minimumLocalCount: minimum, scratch: &scratch)
                let result = hotSet.evaluate(&counts, zThreshold: z, minimumLocalCount: minimum)
                #expect(result == reference, "round \(round) step \(step) \(columns)x\(rows)")
                if result != reference { return }
                evaluations += 1
                hotSeen += result.hot.count
                if hotSet.rebuilds == rebuildsBefore {
                    incremental += 1
                    if result.hot.map(\.cell) != previous { hotChanges += 1 }
                }
                previous = result.hot.map(\.cell)
            }
        }
        // Both paths ran, and the incremental one saw the hot set change many times.
        #expect(evaluations > 2_000 && hotSeen > 10_000)
        #expect(incremental > 1_000 && hotChanges > 300, "\(incremental) of \(evaluations), \(hotChanges) changes")
    }

    @Test("no variance, then some: the hot set empties and comes back")
    func flatWindow() {
        var counts = HotspotCellCounts(spec: Self.spec, columns: 5, rows: 5)
        var hotSet = GiStarHotSet(columns: 5, rows: 5)
        let moved0 = counts.advance(to: 0)
        #expect(moved0)
        #expect(hotSet.evaluate(&counts, zThreshold: 1, minimumLocalCount: 1).hot.isEmpty)
        for _ in 0..<9 { counts.add(GridCell(x: 2, y: 2), at: Timestamp(milliseconds: 86_400_000)) }
        let moved1 = counts.advance(to: 1)
        #expect(moved1)
        var scratch = GiStarScratch()
        let reference = GiStar.compute(
            counts: counts.nonZero, columns: 5, rows: 5, zThreshold: 1, minimumLocalCount: 1, scratch: &scratch)
        #expect(!reference.hot.isEmpty)
        #expect(hotSet.evaluate(&counts, zThreshold: 1, minimumLocalCount: 1) == reference)
        let moved9 = counts.advance(to: 9)
        #expect(moved9)
        #expect(hotSet.evaluate(&counts, zThreshold: 1, minimumLocalCount: 1).hot.isEmpty)
    }
}
