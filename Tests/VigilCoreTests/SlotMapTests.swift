import Testing

@testable import VigilCore

@Suite("SlotMap")
struct SlotMapTests {
    @Test("random sets, lookups and removals agree with a Dictionary (clustered keys, growth, backward shifts)")
    func agreesWithDictionary() {
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            var map = SlotMap<Int32>()
            var reference: [UInt64: Int32] = [:]
            // Keys of a small universe (many collisions of probe runs), cell-like packed keys, and
            // keys that differ only in high bits (what a multiplicative hash must still spread).
            func key() -> UInt64 {
                switch rng.next() % 3 {
                case 0: rng.next() % 64
                case 1:
                    AggregateKey.cell(GridCell(x: Int32(rng.next() % 40) - 20, y: Int32(rng.next() % 40) - 20))
                default: (rng.next() % 32) << 58
                }
            }
            for step in 0..<20_000 {
                let k = key()
                switch rng.next() % 10 {
                case 0..<5:
                    let v = Int32(truncatingIfNeeded: rng.next() % 1_000_000)
                    map.set(k, v)
                    reference[k] = v
                case 5..<8:
                    #expect(map.remove(k) == reference.removeValue(forKey: k), "seed \(seed) step \(step)")
                default:
                    #expect(map[k] == reference[k], "seed \(seed) step \(step)")
                }
                if step % 997 == 0 {
                    // Every key ever possible is looked up, and the pairs are exactly the reference's.
                    #expect(map.count == reference.count)
                    let pairs = map.pairs
                    #expect(pairs.count == reference.count)
                    #expect(Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.slot) }) == reference)
                    for k in 0..<UInt64(64) { #expect(map[k] == reference[k]) }
                }
            }
            for (k, v) in reference { #expect(map[k] == v) }
        }
    }

    @Test("removing every key leaves an empty map that still works")
    func drain() {
        var map = SlotMap<Int32>()
        for k in UInt64(0)..<1000 { map.set(k &* 0x1_0000_0001, Int32(k)) }
        #expect(map.count == 1000)
        for k in UInt64(0)..<1000 where k % 2 == 0 { #expect(map.remove(k &* 0x1_0000_0001) == Int32(k)) }
        for k in UInt64(0)..<1000 { #expect(map[k &* 0x1_0000_0001] == (k % 2 == 0 ? nil : Int32(k))) }
        for k in UInt64(0)..<1000 where k % 2 == 1 { map.remove(k &* 0x1_0000_0001) }
        #expect(map.count == 0 && map.pairs.isEmpty && map[1] == nil && map.remove(1) == nil)
        map.set(7, 3)
        #expect(map[7] == 3 && map.count == 1)
    }

    @Test("store(deciding:) and removeAll(keeping:) agree with a Dictionary, Int64 values included")
    func storeAndFilterAgreeWithDictionary() {
        var rng = SplitMix64(seed: 9)
        var map = SlotMap<Int64>()
        var reference: [UInt64: Int64] = [:]
        for step in 0..<30_000 {
            let k = rng.next() % 3 == 0 ? rng.next() % 50 : rng.next()
            let v = Int64(bitPattern: rng.next()) | 1  // never Int64.min
            switch rng.next() % 8 {
            case 0..<5:
                // Store only over an odd value or when absent: the decision sees what is there.
                let stored = map.store(k) { old in old.map { $0 & 2 == 0 } ?? true ? v : nil }
                let expected = reference[k].map { $0 & 2 == 0 } ?? true
                if expected { reference[k] = v }
                #expect(stored == expected, "step \(step)")
            case 5:
                let cut = Int64(bitPattern: rng.next())
                // Room for none, the kept keys, or up to 3x them: the map is the same whatever the room.
                let factor = Int(rng.next() % 4)
                map.removeAll(keeping: { _, value in value >= cut }, room: { $0 * factor })
                reference = reference.filter { $0.value >= cut }
            default:
                #expect(map[k] == reference[k], "step \(step)")
            }
            if step % 1_009 == 0 {
                #expect(map.count == reference.count)
                #expect(Dictionary(uniqueKeysWithValues: map.pairs.map { ($0.key, $0.slot) }) == reference)
            }
        }
    }
}
