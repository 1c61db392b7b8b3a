#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The discrete Laplace (two-sided geometric) distribution with a rational scale, sampled
/// exactly with integer arithmetic (Canonne, Kamath & Steinke 2020, Algorithms 1 and 2).
///
/// `P[X = x] ∝ exp(-|x| / scale)` for every integer x, where `scale = numerator / denominator`.
/// Adding it to a count of sensitivity Δ gives (Δ / scale)-differential privacy. Unlike rounding
/// a floating-point Laplace sample, every probability here is exact, so nothing leaks.
public struct ExactDiscreteLaplace: Sendable, Equatable {
    /// scale = numerator / denominator.
    public let numerator: UInt64
    public let denominator: UInt64

    /// Both parts positive and at most 2^31, so every product the sampler forms fits in 64 bits.
    public init?(scaleNumerator: UInt64, denominator: UInt64) {
        guard scaleNumerator > 0, denominator > 0, scaleNumerator <= 1 << 31, denominator <= 1 << 31 else { return nil }
        let g = Self.gcd(scaleNumerator, denominator)
        numerator = scaleNumerator / g
        self.denominator = denominator / g
    }

    /// The scale as a double, for reporting only (never used to sample).
    public var scale: Double { Double(numerator) / Double(denominator) }

    /// Var X = 2q / (1 - q)^2 with q = exp(-1/scale).
    public var variance: Double {
        let q = (-1 / scale).exp
        return 2 * q / ((1 - q) * (1 - q))
    }

    /// P[X = x] = (1 - q) / (1 + q) · q^|x|, the closed form the tests check the sampler against.
    public func probability(of x: Int64) -> Double {
        let q = (-1 / scale).exp
        return (1 - q) / (1 + q) * (Double(x.magnitude) * -1 / scale).exp
    }

    /// P[|X| ≥ k] for k ≥ 1: 2 q^k / (1 + q).
    public func tailMass(atLeast k: Int64) -> Double {
        if k <= 0 { return 1 }
        let q = (-1 / scale).exp
        return 2 * (Double(k) * -1 / scale).exp / (1 + q)
    }

    /// The half-width h of the central 95% interval: the smallest h with P[|X| ≤ h] ≥ 0.95.
    public var halfWidth95: Int64 {
        var h: Int64 = 0
        while tailMass(atLeast: h + 1) > 0.05 { h += 1 }
        return h
    }

    /// One exact draw (CKS Algorithm 2 with t = numerator, s = denominator).
    public func sample<R: RandomBitSource>(using random: inout R) -> Int64 {
        let t = numerator
        let s = denominator
        while true {
            let u = random.uniform(below: t)
            guard Self.bernoulliExp(numerator: u, denominator: t, using: &random) else { continue }
            var v: UInt64 = 0
            while Self.bernoulliExp(numerator: 1, denominator: 1, using: &random) { v += 1 }
            let x = u + t * v
            let y = x / s
            let negative = random.bernoulli(1, over: 2)
            if negative && y == 0 { continue }
            return negative ? -Int64(y) : Int64(y)
        }
    }

    /// Bernoulli(exp(-n/d)) exactly (CKS Algorithm 1).
    static func bernoulliExp<R: RandomBitSource>(numerator n: UInt64, denominator d: UInt64, using random: inout R) -> Bool {
        var n = n
        while n > d {  // exp(-γ) = exp(-1)^⌊γ⌋ · exp(-(γ - ⌊γ⌋))
            guard bernoulliExpAtMostOne(numerator: d, denominator: d, using: &random) else { return false }
            n -= d
        }
        return bernoulliExpAtMostOne(numerator: n, denominator: d, using: &random)
    }

    /// Bernoulli(exp(-γ)) for γ = n/d in [0, 1]: the parity of the first K with Bernoulli(γ/K) = 0.
    private static func bernoulliExpAtMostOne<R: RandomBitSource>(numerator n: UInt64, denominator d: UInt64, using random: inout R) -> Bool
    {
        var k: UInt64 = 1
        while random.bernoulli(n, over: d * k) { k += 1 }
        return k % 2 == 1
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 { b == 0 ? a : gcd(b, a % b) }
}

extension Double {
    fileprivate var exp: Double { naturalExp(self) }
}

private func naturalExp(_ x: Double) -> Double { exp(x) }
