import Foundation
import Testing

@testable import VigilCore

/// The tree mechanism over two simulated years of daily releases, against the analytic error:
/// a running total at step t carries popcount(t) independent node noises, so its variance is
/// popcount(t)·Var(DLap(b)) with Var = 2q/(1-q)², q = e^(-1/b) — computed here, not by Vigil.
@Suite("BinaryTreeCounter")
struct BinaryTreeCounterTests {
    static let days = 730
    static let keys = 2000

    @Test("running-total variance matches popcount(t)·Var within 10% over 730 daily releases")
    func runningTotalVariance() {
        let epsilon = 1.0
        let levels = BinaryTreeCounter.levels(forHorizon: Self.days)
        #expect(levels == 10)  // 2^9 = 512 ≤ 730 < 1024
        let noise = ExactDiscreteLaplace(scaleNumerator: UInt64(levels), denominator: 1)!
        let b = Double(levels) / epsilon
        let q = exp(-1 / b)
        let nodeVariance = 2 * q / ((1 - q) * (1 - q))

        var random = SplitMix64(seed: 2011)
        var counts = SplitMix64(seed: 2010)
        // Squared errors pooled by popcount(t), and of the per-period counts.
        var sumSquares = [Double](repeating: 0, count: levels + 1)
        var samples = [Int](repeating: 0, count: levels + 1)
        var countSquares = 0.0
        var worstByDay = [Double](repeating: 0, count: Self.days + 1)
        for _ in 0..<Self.keys {
            var tree = BinaryTreeCounter(horizon: Self.days)
            var truth: Int64 = 0
            for t in 1...Self.days {
                let c = Int64(counts.next() % 7)  // 0…6 incidents a day
                truth += c
                let out = tree.release(count: c, noise: noise, using: &random)!
                let e = Double(out.runningTotal - truth)
                sumSquares[t.nonzeroBitCount] += e * e
                samples[t.nonzeroBitCount] += 1
                worstByDay[t] += e * e
                countSquares += Double(out.count - c) * Double(out.count - c)
                #expect(out.runningTotalNodes == t.nonzeroBitCount)
            }
            let beyond = tree.release(count: 1, noise: noise, using: &random)
            #expect(beyond == nil, "the horizon must end the stream")
        }
        for k in 1...levels where samples[k] >= 20_000 {
            let empirical = sumSquares[k] / Double(samples[k])
            let analytic = Double(k) * nodeVariance
            print("tree: popcount \(k): variance \(empirical) vs analytic \(analytic) (\(samples[k]) samples)")
            #expect(abs(empirical / analytic - 1) < 0.10, "popcount \(k): \(empirical) vs \(analytic)")
        }
        let all = sumSquares.reduce(0, +) / Double(samples.reduce(0, +))
        let analyticAll = (1...Self.days).map { Double($0.nonzeroBitCount) }.reduce(0, +) / Double(Self.days) * nodeVariance
        print("tree: mean running-total variance \(all) vs analytic \(analyticAll)")
        #expect(abs(all / analyticAll - 1) < 0.10)
        let leaf = countSquares / Double(Self.keys * Self.days)
        #expect(abs(leaf / nodeVariance - 1) < 0.10, "per-period count variance \(leaf) vs \(nodeVariance)")
        // Polylogarithmic growth: the worst day's variance is at most `levels` node variances,
        // where summing fresh per-day noise would reach 730 of them.
        let worst = worstByDay.max()! / Double(Self.keys)
        #expect(worst < 1.1 * Double(levels) * nodeVariance)
    }

    @Test("levels is floor(log2 horizon) + 1")
    func levels() {
        #expect(BinaryTreeCounter.levels(forHorizon: 1) == 1)
        #expect(BinaryTreeCounter.levels(forHorizon: 2) == 2)
        #expect(BinaryTreeCounter.levels(forHorizon: 7) == 3)
        #expect(BinaryTreeCounter.levels(forHorizon: 8) == 4)
        #expect(BinaryTreeCounter.levels(forHorizon: 52) == 6)
    }
}
