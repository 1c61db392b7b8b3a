import Foundation
import Testing

@testable import VigilCore

/// The scan's statistic, −ln P(N ≥ O) for a negative binomial N, against values from scipy's
/// `nbinom.logsf` (an incomplete beta function, an independent method), and the two properties
/// the scan relies on.
@Suite struct ScanSurpriseTests {
    /// (observed, expected, weight, surprise from `tools.reference.clusters_twin.nb_surprise`).
    static let reference: [(Int, Double, Double, Double)] = [
        (3, 0.0003, 0.016, 17.181660912679877),  // a category never seen at the place: the prior alone
        (5, 0.03, 8.5, 21.349426631507004),  // a quiet place with a few incidents a year
        (4, 0.002, 11.5, 27.56311661957172),
        (9, 0.19, 408.0, 27.835359094643575),  // a busy place: close to Poisson
        (16, 1.54, 76.6, 24.02317219046577),
        (3, 2.9, 5.0, 0.6797230451848807),  // barely an excess
        (60, 2.0, 30.0, 114.42716916635867),
        (400, 1.0, 3.0, 543.7941797513004)  // past the product's range: lgamma
    ]

    /// A weight without limit is a certain rate: the Poisson tail (scipy's `poisson.logsf`; its
    /// negative binomial loses digits in 1 − p there, so this one is checked against Poisson).
    @Test func aHeavyBaselineIsThePoissonTail() {
        let got = ScanCylinder.surprise(observed: 7, expected: 0.05, weight: 1e9)
        #expect(abs(got - 29.5390220469175) <= 1e-7 * 29.54, "\(got)")
    }

    @Test func matchesTheNegativeBinomialTailOfScipy() {
        for (o, e, w, want) in Self.reference {
            let got = ScanCylinder.surprise(observed: o, expected: e, weight: w)
            #expect(abs(got - want) <= 1e-9 * want, "O \(o) E \(e) weight \(w): \(got), scipy \(want)")
        }
    }

    @Test func noExcessNoSurprise() {
        #expect(ScanCylinder.surprise(observed: 2, expected: 2, weight: 10) == 0)
        #expect(ScanCylinder.surprise(observed: 3, expected: 3.5, weight: 10) == 0)
        #expect(ScanCylinder.surprise(observed: 0, expected: 0.1, weight: 10) == 0)
    }

    /// The early bound of an evaluation: more baseline at the same ratio E / weight never raises it.
    @Test(arguments: [1, 3, 4, 8, 25] as [Int]) func fallsAsTheBaselineGrowsAtAFixedRatio(observed: Int) {
        for ratio in [1e-5, 1e-3, 0.02, 0.1] {
            var previous = Double.infinity
            var weight = 0.001
            while weight < 1e5 {
                let s = ScanCylinder.surprise(observed: observed, expected: ratio * weight, weight: weight)
                #expect(s <= previous, "O \(observed) ratio \(ratio) weight \(weight)")
                previous = s
                weight *= 1.7
            }
        }
    }

    /// With a floor, the cheap bound −ln pmf(O) may end the computation early, but only for a
    /// surprise below the floor; every surprise that reaches it is the full computation's, bit for bit.
    @Test func aFloorOnlyDropsSurprisesBelowIt() {
        var rng = SplitMix64(seed: 41)
        var cut = 0
        for _ in 0..<20_000 {
            let o = 3 + Int(rng.next() % 60)
            let weight = pow(10, Double(rng.next() % 10_000) / 10_000 * 6 - 2)  // 0.01 … 10,000
            let expected = weight * pow(10, -Double(rng.next() % 10_000) / 10_000 * 5 - 0.5)  // E/weight 3e-6 … 0.3
            let floor = Double(rng.next() % 60) + 0.5
            let full = ScanCylinder.surprise(observed: o, expected: expected, weight: weight)
            let bounded = ScanCylinder.surprise(observed: o, expected: expected, weight: weight, atLeast: floor)
            if full >= floor { #expect(bounded == full, "O \(o) E \(expected) weight \(weight) floor \(floor)") }
            #expect(bounded == full || (bounded == 0 && full < floor))
            if bounded != full { cut += 1 }
        }
        #expect(cut > 1_000, "the bound never ended a computation early: \(cut)")
    }

    /// At one expectation, a lighter baseline (a more uncertain rate) is less surprised than a heavy one.
    @Test func aLightBaselineWidensTheNull() {
        let light = ScanCylinder.surprise(observed: 4, expected: 0.01, weight: 0.05)
        let some = ScanCylinder.surprise(observed: 4, expected: 0.01, weight: 1)
        let heavy = ScanCylinder.surprise(observed: 4, expected: 0.01, weight: 1e6)
        #expect(light < some && some < heavy)
    }
}
