import Testing

@testable import VigilCore

/// `GiStar.sortedByCell` must give exactly the order of the stable sort by `GridCell` it replaced
/// (hot lists feed hotspot ids and alerts, which are compared byte for byte).
@Suite("GiStar: hot cells sorted by cell")
struct GiStarSortTests {
    @Test func matchesTheStableSortIncludingNegativeAndExtremeCoordinatesAndRepeats() {
        var rng = SplitMix64(seed: 20_261_202)
        let edges: [Int32] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        for round in 0..<200 {
            let n = Int(rng.next() % 300)
            var cells: [GiStarResult.Cell] = []
            for k in 0..<n {
                func coordinate() -> Int32 {
                    rng.next() % 4 == 0 ? edges[Int(rng.next() % UInt64(edges.count))] : Int32(Int(rng.next() % 41) - 20)
                }
                // Repeats of one cell (distinct records) check the tie-break by position.
                let repeated = k > 0 && rng.next() % 8 == 0
                let cell = repeated ? cells[Int(rng.next() % UInt64(k))].cell : GridCell(x: coordinate(), y: coordinate())
                cells.append(.init(cell: cell, count: k, localSum: round, giStar: Double(k)))
            }
            let expected = cells.enumerated().sorted { ($0.element.cell, $0.offset) < ($1.element.cell, $1.offset) }.map(\.element)
            #expect(GiStar.sortedByCell(cells) == expected)
        }
    }

    @Test func packedPathsForCellsInTheUniverseMatchTheStableSortAndSorted() {
        var rng = SplitMix64(seed: 20_261_203)
        for round in 0..<200 {
            let n = Int(rng.next() % 400)
            let span = UInt64([3, 40, 1 << 22][round % 3])  // dense repeats, a city, the packing's edge
            var cells: [GiStarResult.Cell] = []
            for k in 0..<n {
                let repeated = k > 0 && rng.next() % 8 == 0
                let cell =
                    repeated
                    ? cells[Int(rng.next() % UInt64(k))].cell : GridCell(x: Int32(rng.next() % span), y: Int32(rng.next() % span))
                cells.append(.init(cell: cell, count: k, localSum: round, giStar: Double(k)))
            }
            let expected = cells.enumerated().sorted { ($0.element.cell, $0.offset) < ($1.element.cell, $1.offset) }.map(\.element)
            #expect(GiStar.sortedByCell(cells) == expected)
            #expect(GiStar.sortedInUniverse(cells.map(\.cell)) == cells.map(\.cell).sorted())
        }
    }
}
