import Testing

@testable import VigilCore

/// The repeat rule's table against a plain dictionary: random keys (some colliding in the table's
/// home positions, since only the high bits of the product pick it), overwrites, growth, and
/// expiry that keeps only the recent keys.
@Suite struct LastOccurrenceTableTests {
    @Test(arguments: [41, 42, 43] as [UInt64]) func behavesLikeADictionary(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = LastOccurrenceTable()
        var reference: [UInt64: Int64] = [:]
        var now: Int64 = -5_000_000  // times before 1970 too
        for step in 0..<20_000 {
            now += Int64(rng.next() % 1_000)
            // Small key space so that keys repeat; some keys differ only in their low bits.
            let key = rng.next() % 2 == 0 ? rng.next() % 3_000 : (rng.next() % 40) << 58
            if let last = reference[key] { #expect(table[key] == last) } else { #expect(table[key] == nil) }
            table.set(key, now)
            reference[key] = now
            if step % 1_500 == 0 {
                let horizon = now - 400_000
                table.removeAll(before: horizon)
                reference = reference.filter { $0.value >= horizon }
                #expect(table.count == reference.count)
                for (k, v) in reference { #expect(table[k] == v) }
            }
        }
        #expect(table.count == reference.count)
        for (k, v) in reference { #expect(table[k] == v) }
    }
}
