/// One cylinder of the space-time scan: a disc of cells around `centre` over the hours
/// (endHour − durationHours, endHour], with its observed and expected occurrences.
public struct ScanCylinder: Sendable, Equatable {
    public var centre: GridCell
    /// 0 for all categories, else 1 + the engine's category id.
    public var layer: UInt16
    public var radiusCells: Int
    /// Cells in the disc (1, 5, 13, 29, … for radius 0, 1, 2, 3).
    public var cellCount: Int
    public var durationHours: Int
    public var endHour: Int64
    public var observed: Int
    public var expected: Double
    /// The expectation's weight in occurrences: the disc's baseline count plus the prior's
    /// pseudo-count, over the baseline weeks (Wa × (n_D / Wa + a·|D|)). A place with little
    /// history has a light weight, so its expected count is uncertain.
    public var baselineWeight: Double
    /// Poisson generalised likelihood ratio: O ln(O/E) − (O − E) when O > E, else 0 (reported).
    public var llr: Double
    /// −ln P(N ≥ O) (0 unless O > E) when N is negative binomial with mean E and shape
    /// `baselineWeight`: the chance of this many occurrences or more when the place's rate is only
    /// as certain as its baseline count (a gamma posterior around E). What the scan ranks and
    /// alerts on.
    public var surprise: Double

    public var windowStart: Timestamp { ClusterTime.start(ofHour: endHour - Int64(durationHours) + 1) }
    public var windowEnd: Timestamp { ClusterTime.start(ofHour: endHour + 1) }

    /// Kulldorff's Poisson log likelihood ratio for an excess.
    @inline(__always) static func likelihoodRatio(observed: Int, expected: Double) -> Double {
        let o = Double(observed)
        guard o > expected, expected > 0 else { return 0 }
        return o * log(o / expected) - (o - expected)
    }

    /// −ln P(N ≥ `observed`) for N negative binomial with mean `expected` and shape `weight`
    /// (N ~ Poisson(λ), λ ~ Gamma(weight, expected / weight)) when O > E, else 0 (no excess).
    /// Why not the Poisson tail: the real stream's chance findings are mostly places with no
    /// history of a category, where E is the prior alone; a Poisson test trusts that E fully and
    /// calls 3 occurrences astronomically rare, so its honest threshold rises for every place.
    /// Here a light baseline widens the null, and a place with years of history keeps nearly the
    /// Poisson tail.
    ///
    /// Computed as ln pmf(O) plus the log of the tail's sum of ratios of successive terms, which
    /// decrease geometrically, so neither underflows. Non-increasing in `weight` at a fixed
    /// ratio `expected / weight` (a sum of more gamma-Poisson parts only grows): the scan's
    /// early bound relies on it.
    ///
    /// With `atLeast` > 0 only a surprise that may reach it matters: −ln pmf(O) bounds the surprise
    /// from above (the tail's sum is at least pmf(O)), so when even that bound (widened by a
    /// relative 1e-9, as the scan's early bound is) stays below `atLeast`, the result is 0 without
    /// the sum. Otherwise the result is exactly the full computation's.
    static func surprise(observed: Int, expected: Double, weight: Double, atLeast: Double = 0) -> Double {
        let o = Double(observed)
        guard o > expected, expected > 0, weight > 0 else { return 0 }
        let theta = expected / weight
        let logOnePlusTheta = log1p(theta)
        let p = theta / (1 + theta)  // success probability of each count step
        // ln Γ(O + α) − ln Γ(α): a product of O factors while it stays far from overflow.
        var rising = 0.0
        if observed <= 48 {
            var product = 1.0
            for i in 0..<observed {
                product *= weight + Double(i)
                if product > 1e250 {
                    rising += log(product)
                    product = 1
                }
            }
            rising += log(product)
        } else {
            rising = lgamma(o + weight) - lgamma(weight)
        }
        let logPmf = rising - logFactorial(observed) - weight * logOnePlusTheta + o * (log(theta) - logOnePlusTheta)
        if atLeast > 0, -logPmf * (1 + 1e-9) < atLeast { return 0 }
        // Σ_{j ≥ 0} pmf(O + j) / pmf(O): term ratios (O + j + α) / (O + j + 1) · p tend to p < 1.
        var sum = 1.0
        var term = 1.0
        var k = o
        for _ in 0..<100_000 {
            let ratio = (k + weight) / (k + 1) * p
            term *= ratio
            sum += term
            k += 1
            // The remaining terms shrink at least by max(ratio, p) each (ratios move monotonically towards p).
            let bound = max(ratio, p)
            if bound < 1, term * bound / (1 - bound) <= sum * 1e-17 { break }
        }
        return max(0, -(logPmf + log(sum)))
    }

    /// ln n!, from a table for the counts cylinders usually hold.
    @inline(__always) static func logFactorial(_ n: Int) -> Double {
        n < logFactorials.count ? logFactorials[n] : lgamma(Double(n) + 1)
    }

    private static let logFactorials: [Double] = {
        var table = [0.0]
        var acc = 0.0
        for n in 1...256 {
            acc += log(Double(n))
            table.append(acc)
        }
        return table
    }()
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
