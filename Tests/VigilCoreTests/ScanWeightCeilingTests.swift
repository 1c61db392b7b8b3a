import Foundation
import Testing

@testable import VigilCore

/// The weight ceilings let the scan skip a cylinder's surprise with one comparison; a skipped
/// cylinder must be below the floor, whatever its ratio within the grid step and its weight.
@Suite struct ScanWeightCeilingTests {
    /// Random cylinders (counts, ratios E / weight, weights and floors over Toronto's range and
    /// beyond): every one the table skips has a full surprise below the floor, and the table skips
    /// many of those below it (a ceiling of 0 everywhere would pass the first check).
    @Test(arguments: [5, 6, 7] as [UInt64]) func skipsOnlyCylindersBelowTheFloor(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = ScanWeightCeiling()
        var skipped = 0
        var below = 0
        for _ in 0..<20_000 {
            let floor = [4.0, 12.5, 21.3][Int(rng.next() % 3)]
            let o = 1 + Int(rng.next() % UInt64(ScanWeightCeiling.maxObserved + 10))
            let theta = pow(10, -Double(rng.next() % 10_000) / 10_000 * 5 - 0.5)  // 3e-6 … 0.3
            let weight = pow(10, Double(rng.next() % 10_000) / 10_000 * 7 - 2)  // 0.01 … 100,000
            let expected = theta * weight
            let row = table.row(theta: expected / weight * (1 - 1e-9), floor: floor)
            let skips = table.skips(observed: o, weight: weight, row: row)
            let full = ScanCylinder.surprise(observed: o, expected: expected, weight: weight)
            if skips { #expect(full < floor, "O \(o) E \(expected) weight \(weight) floor \(floor): \(full)") }
            if full < floor { below += 1 }
            if skips { skipped += 1 }
        }
        #expect(Double(skipped) > 0.8 * Double(below), "skipped \(skipped) of \(below) below the floor")
    }

    /// Near the edge: cylinders just past a ceiling (within the grid's step of ratios) stay below
    /// the floor, and just below it some reach it (the ceiling is tight, not merely safe).
    @Test func theCeilingIsTightAndSafe() {
        let floor = 12.5
        var table = ScanWeightCeiling()
        var reachedJustBelow = 0
        for o in 3...60 {
            for theta in [2e-5, 3.3e-4, 1.7e-3, 0.02] {
                let row = table.row(theta: theta * (1 - 1e-9), floor: floor)
                // The smallest skipped weight, to a relative 1e-12.
                var low = 1e-9
                var high = 1e9
                guard table.skips(observed: o, weight: high, row: row) else { continue }
                if table.skips(observed: o, weight: low, row: row) { low = 0 }
                while low > 0, high / low > 1 + 1e-12 {
                    let middle = (low * high).squareRoot()
                    if table.skips(observed: o, weight: middle, row: row) { high = middle } else { low = middle }
                }
                for step in [1.0, 1.001, 1.05, 2, 10] {
                    let w = high * step
                    #expect(ScanCylinder.surprise(observed: o, expected: theta * w, weight: w) < floor, "O \(o) θ \(theta) w \(w)")
                }
                if low > 0, ScanCylinder.surprise(observed: o, expected: theta * low / 1.2, weight: low / 1.2) >= floor {
                    reachedJustBelow += 1
                }
            }
        }
        #expect(reachedJustBelow > 100, "\(reachedJustBelow)")
    }

    /// A floor far above the usual ones (the Poisson guess underflows): the tiny weights whose
    /// surprise still reaches it are not skipped.
    @Test func aVeryHighFloorSkipsOnlyBelowIt() {
        for floor in [400.0, 3_000.0] {
            var table = ScanWeightCeiling()
            for o in [3, 40, 127] {
                let row = table.row(theta: 1e-3, floor: floor)
                var weight = 1e-300
                while weight < 1e6 {
                    let full = ScanCylinder.surprise(observed: o, expected: 1e-3 * weight, weight: weight)
                    if table.skips(observed: o, weight: weight, row: row) {
                        #expect(full < floor, "O \(o) w \(weight) floor \(floor): \(full)")
                    }
                    weight *= 10
                }
            }
        }
    }

    /// Floors share one table, each with its own rows; past `maxFloors` a floor gets no rows, so
    /// nothing of it is skipped.
    @Test func eachFloorHasItsOwnRowsUpToTheLimit() {
        var table = ScanWeightCeiling()
        var rows: [Int] = []
        for k in 0...ScanWeightCeiling.maxFloors {
            rows.append(table.row(theta: 1e-3, floor: 5 + Double(k)))
        }
        #expect(Set(rows.prefix(ScanWeightCeiling.maxFloors)).count == ScanWeightCeiling.maxFloors)
        #expect(rows.last == -1)
        let offGrid = table.skips(observed: 3, weight: 1e9, row: -1)
        let first = table.skips(observed: 3, weight: 1e9, row: rows[0])
        let again = table.row(theta: 1e-3, floor: 5)
        #expect(!offGrid && first && again == rows[0])
    }
}
