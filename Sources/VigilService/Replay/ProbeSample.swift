/// Which incidents `vigil replay --probes` records: a reproducible sample, so that the
/// independent window-count check (tools/) can ask for the same incidents again.
enum ProbeSample {
    /// `count` distinct indices in `0..<n`, chosen by a seeded SplitMix64 (reproducible).
    static func indices(_ count: Int, of n: Int, seed: UInt64) -> Set<Int> {
        guard count > 0, n > 0 else { return [] }
        var state = seed
        var chosen = Set<Int>()
        while chosen.count < min(count, n) {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            chosen.insert(Int((z ^ (z >> 31)) % UInt64(n)))
        }
        return chosen
    }
}
