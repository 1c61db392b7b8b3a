import Foundation
import Testing

@testable import VigilCore

extension SplitMix64: RandomBitSource {
    mutating func next64() -> UInt64 { next() }
}

/// The exact sampler against the closed-form pmf P[x] = (1-q)/(1+q)·q^|x|, q = e^(-1/b).
/// The χ² p-value uses the regularized incomplete gamma written out below (Numerical Recipes
/// §6.2), not anything from Vigil.
@Suite("ExactDiscreteLaplace")
struct DiscreteLaplaceSamplerTests {
    @Test(
        "one million draws match the closed-form pmf (chi-square)",
        arguments: [(UInt64(11), UInt64(2)), (UInt64(1), UInt64(3)), (UInt64(40), UInt64(1))])
    func chiSquare(numerator: UInt64, denominator: UInt64) {
        let dist = ExactDiscreteLaplace(scaleNumerator: numerator, denominator: denominator)!
        var random = SplitMix64(seed: 0x5EED_0000 + numerator * 31 + denominator)
        let draws = 1_000_000
        var histogram: [Int64: Int] = [:]
        for _ in 0..<draws { histogram[dist.sample(using: &random), default: 0] += 1 }
        // Bins: every x with expected count ≥ 20, plus the two tails beyond them.
        var edge: Int64 = 0
        while Double(draws) * Self.pmf(edge + 1, scale: dist.scale) >= 20 { edge += 1 }
        var chi2 = 0.0
        var bins = 0
        for x in -edge...edge {
            let expected = Double(draws) * Self.pmf(x, scale: dist.scale)
            let observed = Double(histogram[x] ?? 0)
            chi2 += (observed - expected) * (observed - expected) / expected
            bins += 1
        }
        let tailExpected = Double(draws) * Self.tail(edge + 1, scale: dist.scale) / 2  // each side
        for side in [-1, 1] as [Int64] {
            let observed = Double(histogram.filter { side * $0.key > edge }.values.reduce(0, +))
            chi2 += (observed - tailExpected) * (observed - tailExpected) / tailExpected
            bins += 1
        }
        let p = Self.chiSquareUpperTail(chi2, degreesOfFreedom: bins - 1)
        print("discrete Laplace scale \(numerator)/\(denominator): χ² = \(chi2) on \(bins - 1) df over \(draws) draws, p = \(p)")
        #expect(p > 1e-3, "χ² = \(chi2), df = \(bins - 1), p = \(p)")
    }

    @Test("a biased sampler is rejected by the same chi-square test")
    func chiSquareHasPower() {
        // The pmf at a 3% larger scale: the test above must be able to tell them apart.
        let dist = ExactDiscreteLaplace(scaleNumerator: 103, denominator: 20)!
        var random = SplitMix64(seed: 7)
        var histogram: [Int64: Int] = [:]
        for _ in 0..<1_000_000 { histogram[dist.sample(using: &random), default: 0] += 1 }
        var chi2 = 0.0
        var bins = 0
        for x in Int64(-20)...20 {
            let expected = 1e6 * Self.pmf(x, scale: 5)
            chi2 += pow(Double(histogram[x] ?? 0) - expected, 2) / expected
            bins += 1
        }
        #expect(Self.chiSquareUpperTail(chi2, degreesOfFreedom: bins - 1) < 1e-6)
    }

    @Test("closed forms: variance and tail mass agree with direct sums of the pmf")
    func closedForms() {
        let dist = ExactDiscreteLaplace(scaleNumerator: 11, denominator: 2)!
        var variance = 0.0
        var tail5 = 0.0
        var mass = 0.0
        for x in Int64(-400)...400 {
            let p = Self.pmf(x, scale: 5.5)
            mass += p
            variance += Double(x * x) * p
            if abs(x) >= 5 { tail5 += p }
        }
        #expect(abs(mass - 1) < 1e-12)
        #expect(abs(dist.variance - variance) < 1e-9 * variance)
        #expect(abs(dist.tailMass(atLeast: 5) - tail5) < 1e-12)
        let h = dist.halfWidth95
        #expect(1 - Self.tail(h + 1, scale: 5.5) >= 0.95 && 1 - Self.tail(h, scale: 5.5) < 0.95)
    }

    @Test("uniform(below:) has no modulo bias at a bound near 2^63")
    func uniformRejects() {
        var random = SplitMix64(seed: 3)
        let bound: UInt64 = (1 << 63) + (1 << 62)  // 2^64 mod bound is 2^62: a naive % would skew
        var low = 0
        for _ in 0..<100_000 where random.uniform(below: bound) < (1 << 62) { low += 1 }
        // Unbiased: P = 1/3; naive modulo: P = 1/2.
        #expect(abs(Double(low) / 100_000 - 1.0 / 3) < 0.01)
    }

    // MARK: - Independent references

    static func pmf(_ x: Int64, scale b: Double) -> Double {
        let q = exp(-1 / b)
        return (1 - q) / (1 + q) * pow(q, Double(abs(x)))
    }

    /// P[|X| ≥ k], k ≥ 1, summed term by term.
    static func tail(_ k: Int64, scale b: Double) -> Double {
        var sum = 0.0
        var x = k
        while true {
            let p = 2 * pmf(x, scale: b)
            sum += p
            if p < 1e-18 * sum { return sum }
            x += 1
        }
    }

    /// P[χ²_df > x] = Q(df/2, x/2), the regularized upper incomplete gamma.
    static func chiSquareUpperTail(_ x: Double, degreesOfFreedom df: Int) -> Double {
        let a = Double(df) / 2
        let z = x / 2
        if z <= 0 { return 1 }
        let logPrefix = a * log(z) - z - lgamma(a)
        if z < a + 1 {  // series for P, then Q = 1 - P
            var term = 1 / a
            var sum = term
            var n = a
            for _ in 0..<10_000 {
                n += 1
                term *= z / n
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return 1 - sum * exp(logPrefix)
        }
        // Lentz's continued fraction for Q.
        var b = z + 1 - a
        var c = 1 / 1e-300
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < 1e-300 { d = 1e-300 }
            c = b + an / c
            if abs(c) < 1e-300 { c = 1e-300 }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return exp(logPrefix) * h
    }
}
