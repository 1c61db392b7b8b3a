import Testing

@testable import VigilCore

@Suite("GiStar components in the universe")
struct GiStarUniverseComponentsTests {
    @Test func theSortedWalkEqualsTheHashSetVersion() {
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

    /// The hot list arrives sorted and distinct: then each cell's component index comes back too,
    /// and must name the component that holds it. Repeated cells (and unsorted lists) still give
    /// the reference's components, and no indices.
    @Test func eachCellsComponentIsTheOneHoldingIt() {
        var rng = SplitMix64(seed: 7)
        for round in 0..<400 {
            let side = Int32(2 + rng.next() % 40)
            var cells = Set<GridCell>()
            // Dense enough for long chains, diagonal links and holes.
            let count = Int(rng.next() % UInt64(side * side / 2 + 1))
            for _ in 0..<count { cells.insert(GridCell(x: Int32(rng.next() % UInt64(side)), y: Int32(rng.next() % UInt64(side)))) }
            let sorted = cells.sorted()
            var numbers: [Int32] = []
            let components = GiStar.components(sorted, columns: side, rows: side, componentOfCell: &numbers)
            #expect(components == GiStar.components(sorted), "round \(round)")
            #expect(numbers.count == sorted.count, "round \(round)")
            for (k, c) in sorted.enumerated() where k < numbers.count {
                #expect(components[Int(numbers[k])].contains(c), "round \(round): cell \(c)")
            }
            guard let first = sorted.first else { continue }
            let repeated = (sorted + [first, sorted[sorted.count / 2]]).sorted()
            #expect(GiStar.components(repeated, columns: side, rows: side, componentOfCell: &numbers) == GiStar.components(sorted))
            #expect(numbers.isEmpty, "a repeated cell gives no indices")
            #expect(GiStar.components(sorted.reversed(), columns: side, rows: side, componentOfCell: &numbers) == components)
            #expect(numbers.isEmpty || sorted.count < 2, "an unsorted list gives no indices")
        }
    }

    @Test func cellsOutsideTheUniverseFallBackToTheGeneralVersion() {
        let cells = [GridCell(x: -1, y: 0), GridCell(x: 0, y: 0), GridCell(x: 5, y: 5)]
        #expect(GiStar.components(cells, columns: 3, rows: 3) == GiStar.components(cells))
    }
}
