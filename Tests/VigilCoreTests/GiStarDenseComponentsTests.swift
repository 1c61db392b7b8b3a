import Testing

@testable import VigilCore

@Suite("GiStar dense components")
struct GiStarDenseComponentsTests {
    @Test func denseLabellingEqualsTheHashSetVersion() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            let columns = Int32(1 + rng.next() % 30)
            let rows = Int32(1 + rng.next() % 30)
            var cells = Set<GridCell>()
            let count = Int(rng.next() % UInt64(columns * rows))
            for _ in 0..<count { cells.insert(GridCell(x: Int32(rng.next() % UInt64(columns)), y: Int32(rng.next() % UInt64(rows)))) }
            let list = Array(cells).shuffled(using: &rng)
            #expect(GiStar.components(list, columns: columns, rows: rows) == GiStar.components(list))
        }
    }

    @Test func cellsOutsideTheUniverseFallBackToTheGeneralVersion() {
        let cells = [GridCell(x: -1, y: 0), GridCell(x: 0, y: 0), GridCell(x: 5, y: 5)]
        #expect(GiStar.components(cells, columns: 3, rows: 3) == GiStar.components(cells))
    }
}
