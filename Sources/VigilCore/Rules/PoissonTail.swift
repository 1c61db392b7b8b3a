/// Upper tail of the Poisson distribution, P(X >= k | mean lambda), for surge significance.
public enum PoissonTail {
    /// Computed as 1 - P(X <= k-1) for small k, summing terms in log space; for large k as the
    /// direct tail sum (which converges fast once k > lambda). Accurate to ~1e-12 relative here.
    public static func upper(_ k: Int, mean lambda: Double) -> Double {
        precondition(lambda > 0)
        if k <= 0 { return 1 }
        let logLambda = log(lambda)
        func logTerm(_ i: Int) -> Double { Double(i) * logLambda - lambda - lgamma(Double(i) + 1) }
        if Double(k) > lambda {
            // Tail sum from k upwards: terms decrease geometrically once i > lambda.
            var sum = 0.0
            var i = k
            var term = exp(logTerm(k))
            let limit = k + 1_000 + Int(40 * lambda.squareRoot())
            while term > sum * 1e-17 && i < limit {
                sum += term
                i += 1
                term *= lambda / Double(i)
            }
            return min(1, sum)
        }
        var cdf = 0.0
        for i in 0..<k { cdf += exp(logTerm(i)) }
        return max(0, 1 - cdf)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
