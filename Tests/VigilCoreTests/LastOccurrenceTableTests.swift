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
            // Key 0 (the table's mark of a free entry, kept aside) and the largest key now and then.
            let pick = rng.next() % 100
            let key = pick == 0 ? 0 : pick == 1 ? UInt64.max : rng.next() % 2 == 0 ? rng.next() % 3_000 : (rng.next() % 40) << 58
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

    /// `record(_:_:unlessWithin:)`, the repeat rule in one probe, against the rule written out on a
    /// dictionary: a time less than the window from the key's last recorded one (before or after
    /// it) is refused and changes nothing; any other is recorded.
    @Test(arguments: [51, 52, 53] as [UInt64]) func recordKeepsTheRepeatRule(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = LastOccurrenceTable()
        var reference: [UInt64: Int64] = [:]
        var now: Int64 = 1_600_000_000_000
        var refused = 0
        for step in 0..<30_000 {
            now += Int64(rng.next() % 50)
            let key = rng.next() % 50 == 0 ? 0 : rng.next() % 200
            let time = now - Int64(rng.next() % 20_000)  // late rows too
            let window = Int64(rng.next() % 3 == 0 ? 1 : 10_000)
            let expected: Bool
            if let last = reference[key], abs(time - last) < window { expected = false } else { expected = true }
            #expect(table.record(key, time, unlessWithin: window) == expected)
            if expected { reference[key] = time } else { refused += 1 }
            #expect(table[key] == reference[key])
            if step % 2_000 == 0 {
                table.removeAll(before: now - 5_000)
                reference = reference.filter { $0.value >= now - 5_000 }
            }
        }
        #expect(table.count == reference.count)
        for (k, v) in reference { #expect(table[k] == v) }
        #expect(refused > 1_000, "refused \(refused)")
    }
}
