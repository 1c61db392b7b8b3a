import Testing

@testable import VigilCore

@Suite("AggregateKey")
struct AggregateKeyTests {
    /// The cell indices a key can hold: 22 bits per axis, biased by 2^21.
    static let axisRange: ClosedRange<Int32> = -(1 << 21)...(1 << 21) - 1

    static func randomCell(_ rng: inout SplitMix64) -> GridCell {
        // Mostly small (realistic) indices, sometimes anywhere in the representable range.
        if Bool.random(using: &rng) {
            return GridCell(x: Int32.random(in: -500...500, using: &rng), y: Int32.random(in: -500...500, using: &rng))
        }
        return GridCell(x: Int32.random(in: axisRange, using: &rng), y: Int32.random(in: axisRange, using: &rng))
    }

    @Test("category × cell round-trips for random cells (negative included) and category ids")
    func categoryCellRoundTrip() {
        var rng = SplitMix64(seed: 0xA66)
        for _ in 0..<5000 {
            let cell = Self.randomCell(&rng)
            let category = UInt16.random(in: 0...UInt16.max, using: &rng)
            let key = AggregateKey.categoryCell(category, cell)
            #expect(AggregateKey.family(key) == .categoryCell)
            #expect(AggregateKey.category(key) == category)
            #expect(AggregateKey.cell(of: key) == cell, "\(cell)")
        }
    }

    @Test("all-categories × cell round-trips and carries category 0")
    func cellRoundTrip() {
        var rng = SplitMix64(seed: 0xCE11)
        for _ in 0..<5000 {
            let cell = Self.randomCell(&rng)
            let key = AggregateKey.cell(cell)
            #expect(AggregateKey.family(key) == .cell)
            #expect(AggregateKey.category(key) == 0)
            #expect(AggregateKey.cell(of: key) == cell, "\(cell)")
        }
    }

    @Test("category × neighbourhood round-trips for random ids")
    func categoryNeighbourhoodRoundTrip() {
        var rng = SplitMix64(seed: 0x4E16)
        for _ in 0..<5000 {
            let category = UInt16.random(in: 0...UInt16.max, using: &rng)
            let neighbourhood = UInt16.random(in: 0...UInt16.max, using: &rng)
            let key = AggregateKey.categoryNeighbourhood(category, neighbourhood)
            #expect(AggregateKey.family(key) == .categoryNeighbourhood)
            #expect(AggregateKey.category(key) == category)
            #expect(AggregateKey.neighbourhood(key) == neighbourhood)
        }
    }

    @Test("the extremes of the representable range round-trip")
    func extremes() {
        let r = Self.axisRange
        for x in [r.lowerBound, -1, 0, 1, r.upperBound] {
            for y in [r.lowerBound, -1, 0, 1, r.upperBound] {
                let cell = GridCell(x: x, y: y)
                #expect(AggregateKey.cell(of: AggregateKey.categoryCell(UInt16.max, cell)) == cell)
                #expect(AggregateKey.category(AggregateKey.categoryCell(UInt16.max, cell)) == UInt16.max)
                #expect(AggregateKey.cell(of: AggregateKey.cell(cell)) == cell)
            }
        }
    }

    @Test("distinct inputs give distinct keys, and the three families never collide")
    func familiesDistinct() {
        var rng = SplitMix64(seed: 0xD157)
        var inputs = Set<String>()
        var keys = Set<UInt64>()
        for _ in 0..<3000 {
            let cell = Self.randomCell(&rng)
            let category = UInt16.random(in: 0...20, using: &rng)
            let neighbourhood = UInt16.random(in: 0...200, using: &rng)
            // Same numbers in every family: the family bits alone must keep them apart.
            let packed = [
                AggregateKey.categoryCell(category, cell),
                AggregateKey.cell(cell),
                AggregateKey.categoryNeighbourhood(category, neighbourhood)
            ]
            #expect(Set(packed).count == 3)
            #expect(packed.map { AggregateKey.family($0) } == [.categoryCell, .cell, .categoryNeighbourhood])
            for (name, key) in zip(["cc|\(category)|\(cell)", "c|\(cell)", "cn|\(category)|\(neighbourhood)"], packed) {
                let newInput = inputs.insert(name).inserted
                let newKey = keys.insert(key).inserted
                #expect(newInput == newKey, "\(name) collides with another input")
            }
        }
        #expect(inputs.count == keys.count)
        // Small ids of different families still differ (e.g. cell x0y0 vs neighbourhood 0).
        #expect(AggregateKey.categoryNeighbourhood(0, 0) != AggregateKey.categoryCell(0, GridCell(x: 0, y: 0)))
        #expect(AggregateKey.cell(GridCell(x: 0, y: 0)) != AggregateKey.categoryCell(0, GridCell(x: 0, y: 0)))
    }

    @Test("family raw values, names, and keys that are no family")
    func familyNames() {
        #expect(AggregateKey.Family.allCases.map(\.name) == ["category_cell", "category_neighbourhood", "cell"])
        #expect(Set(AggregateKey.Family.allCases.map(\.rawValue)).count == AggregateKey.Family.allCases.count)
        #expect(AggregateKey.family(0) == nil)
        #expect(AggregateKey.family(UInt64(0xF) << 60) == nil)
    }
}
