import Testing

@testable import VigilCore

/// `HotCellIndex.update` reuses its tiles from one evaluation to the next, and the hotspot
/// tracker keeps the index itself as it evaluates; every lookup must answer what an index built
/// from scratch answers (the per-incident hotspot features feed the model's score, compared byte
/// for byte).
@Suite("HotCellIndex: updated in place, and kept by the tracker")
struct HotCellIndexTests {
    /// The index's answers from first principles: the later hotspot wins a cell listed twice, and
    /// a cell's Gi* comes from the hot list (0 when it is not hot).
    static func reference(_ snapshot: HotspotSnapshot) -> [GridCell: HotCellIndex.Entry] {
        var out: [GridCell: HotCellIndex.Entry] = [:]
        for h in snapshot.hotspots {
            for c in h.cells {
                out[c] = .init(giStar: 0, hotspotCells: h.cells.count, intensity: h.intensity, openedAt: h.openedAt.milliseconds)
            }
        }
        for c in snapshot.giStar.hot where out[c.cell] != nil { out[c.cell]?.giStar = c.giStar }
        return out
    }

    @Test("random snapshots in sequence: every cell of a wide box answers as a fresh index would")
    func updateEqualsFreshBuild() {
        var rng = SplitMix64(seed: 0x1DE7)
        var index: HotCellIndex?
        var found = 0
        for round in 0..<300 {
            // Hotspots drift and jump, so the box is sometimes reused and sometimes rebuilt; some
            // rounds have none; cells sometimes repeat across hotspots.
            let spread = Int32.random(in: 1...(round % 7 == 0 ? 400 : 40), using: &rng)
            let base = GridCell(x: Int32.random(in: 0...60, using: &rng), y: Int32.random(in: 0...60, using: &rng))
            var hotspots: [Hotspot] = []
            var hot: [GiStarResult.Cell] = []
            for k in 0..<Int.random(in: 0...6, using: &rng) {
                let cells = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                    GridCell(x: base.x + Int32.random(in: 0...spread, using: &rng), y: base.y + Int32.random(in: 0...spread, using: &rng))
                }
                for c in cells where Bool.random(using: &rng) {
                    hot.append(.init(cell: c, count: 1, localSum: 5, giStar: Double.random(in: 3...9, using: &rng)))
                }
                let at = Timestamp(milliseconds: Int64(round * 10 + k))
                hotspots.append(
                    Hotspot(
                        id: "h\(k)", openedAt: at, cells: cells, count: cells.count, maxGiStar: 0,
                        centroid: GeoPoint(latitude: 0, longitude: 0), polygon: [], intensity: Double(k) + 0.5, categories: [],
                        lastSeenAt: at, announcedCells: nil))
            }
            let snapshot = HotspotSnapshot(
                evaluatedAt: Timestamp(milliseconds: Int64(round)), windowEndBucket: Int64(round),
                giStar: GiStarResult(mean: 0, standardDeviation: 1, universeSize: 1, hot: hot), hotspots: hotspots)
            if index == nil { index = HotCellIndex(snapshot) } else { index?.update(snapshot) }
            let want = Self.reference(snapshot)
            #expect(index?.count == want.count && index?.evaluatedAt == snapshot.evaluatedAt, "round \(round)")
            for x in (base.x - 3)...(base.x + spread + 3) {
                for y in (base.y - 3)...(base.y + spread + 3) where (x + y) % 3 == 0 || want[GridCell(x: x, y: y)] != nil {
                    let cell = GridCell(x: x, y: y)
                    let got = index?[cell]
                    let expected = want[cell]
                    #expect(
                        got?.giStar == expected?.giStar && got?.hotspotCells == expected?.hotspotCells
                            && got?.intensity == expected?.intensity && got?.openedAt == expected?.openedAt, "round \(round) \(cell)")
                    if got != nil { found += 1 }
                }
            }
        }
        #expect(found > 1_000)
    }

    /// Compares every cell of the test grid and a margin round it.
    static func expectSame(_ got: HotCellIndex?, _ want: HotCellIndex, _ label: String) -> Int {
        #expect(got?.count == want.count && got?.evaluatedAt == want.evaluatedAt, "\(label)")
        var found = 0
        for x in Int32(-2)...23 {
            for y in Int32(-2)...23 {
                let cell = GridCell(x: x, y: y)
                let (g, w) = (got?[cell], want[cell])
                #expect(
                    g?.giStar == w?.giStar && g?.hotspotCells == w?.hotspotCells && g?.intensity == w?.intensity
                        && g?.openedAt == w?.openedAt && got?.contains(cell) == (w != nil), "\(label) \(cell)")
                if w != nil { found += 1 }
            }
        }
        return found
    }

    @Test(
        "the index the tracker keeps as it evaluates answers as one built from its snapshot, with days left to its own index between",
        arguments: [UInt64(1), 2, 3])
    func trackerKeptIndexEqualsSnapshotIndex(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let grid = HotspotDriver.grid  // 21×21 cells
        var tracker = HotspotTracker(configuration: HotspotConfiguration(minimumCells: 1, minimumPersistence: 1), grid: grid)
        var kept: HotCellIndex? = HotCellIndex()
        var found = 0
        // Clusters that drift, grow, merge, split and vanish over a thin background, so hotspots
        // open, continue, lie dormant and close, and the hot cells' box moves and grows.
        var centres = (0..<3).map { _ in (x: Int32.random(in: 2...18, using: &rng), y: Int32.random(in: 2...18, using: &rng)) }
        for day in 0..<150 {
            var counts: [GridCell: Int] = [:]
            for _ in 0..<30 {
                counts[GridCell(x: Int32.random(in: 0...20, using: &rng), y: Int32.random(in: 0...20, using: &rng)), default: 0] += 1
            }
            for k in centres.indices {
                if Int.random(in: 0..<10, using: &rng) == 0 {
                    centres[k] = (Int32.random(in: 0...20, using: &rng), Int32.random(in: 0...20, using: &rng))
                }
                guard (day / 9 + k) % 4 != 0 else { continue }  // each cluster is quiet now and then
                let radius = Int32.random(in: 0...2, using: &rng)
                for dx in -radius...radius {
                    for dy in -radius...radius where Bool.random(using: &rng) {
                        let c = GridCell(x: centres[k].x + dx, y: centres[k].y + dy)
                        counts[c, default: 0] += Int.random(in: 3...12, using: &rng)  // some fall outside the grid
                    }
                }
            }
            let list = counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let time = Timestamp(milliseconds: Int64(day) * 86_400_000)
            if day % 11 == 5 {
                // A day without a kept index (as with no model): the tracker uses its own, and the
                // kept one, now stale, must be cleared of its cells when it is next passed.
                var none: HotCellIndex?
                _ = tracker.evaluate(at: time, endBucket: Int64(day), counts: list, grid: grid, index: &none, categories: { _ in [] })
                #expect(none == nil)
                continue
            }
            _ = tracker.evaluate(at: time, endBucket: Int64(day), counts: list, grid: grid, index: &kept, categories: { _ in [] })
            guard let snapshot = tracker.snapshot else {
                Issue.record("no snapshot on day \(day)")
                return
            }
            #expect(snapshot.hotspots.reduce(0) { $0 + $1.cells.count } == snapshot.giStar.hot.count, "every hot cell is in one hotspot")
            found += Self.expectSame(kept, HotCellIndex(snapshot), "seed \(seed) day \(day)")
        }
        #expect(found > 500)
    }
}
