import Testing

@testable import VigilCore

/// `HotCellIndex.update` reuses its tiles from one evaluation to the next; every lookup must
/// answer what an index built from scratch answers (the per-incident hotspot features feed the
/// model's score, compared byte for byte).
@Suite("HotCellIndex: updated in place")
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
}
