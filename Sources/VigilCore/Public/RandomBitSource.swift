/// A source of independent, uniformly distributed 64-bit words: the only randomness the public
/// release uses. The core never reads one of its own; the service passes `getrandom` (see
/// `SystemRandomBits` in the service) for real releases, and only tests pass a seeded one.
///
/// Everything built on it uses integer arithmetic only, so no floating-point rounding can leak
/// the noiseless value through the low bits of a sample (Mironov 2012).
public protocol RandomBitSource {
    /// The next 64 uniformly random bits.
    mutating func next64() -> UInt64
}

extension RandomBitSource {
    /// A uniform integer in `0..<bound` (bound > 0), by rejection: exact, no modulo bias.
    public mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "uniform(below:) needs a positive bound")
        // 2^64 mod bound: words below it would over-represent the low residues.
        let reject = (0 &- bound) % bound
        while true {
            let word = next64()
            if word >= reject { return word % bound }
        }
    }

    /// True with probability exactly `numerator / denominator` (0 ≤ numerator ≤ denominator).
    public mutating func bernoulli(_ numerator: UInt64, over denominator: UInt64) -> Bool {
        uniform(below: denominator) < numerator
    }
}
