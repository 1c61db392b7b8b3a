import Testing

@testable import VigilCore

/// The scan's counts per duration, computed as vector lanes for quiet cells (1–3 recent hours)
/// and added as one vector for busy ones, against the cumulative hourly ring they replace,
/// written out here: a count over (end − length, end] is #{stored hour h : clamp(end − length) <
/// h ≤ clamp(end)}, clamp bounding by the ring's oldest and newest hours.
@Suite struct ScanCountTableLaneTests {
    static let lateness = 2

    /// Eight lengths (one vector), fewer (padding lanes), a single one, and more than eight (the
    /// scalar walk), each with quiet and busy cells, late incidents, ends before the ring's oldest
    /// hour and long after its newest.
    static let lengthSets: [[Int64]] = [
        [1, 3, 6, 12, 24, 48, 72, 168], [2, 5, 168], [168], [1, 2, 3, 4, 5, 6, 7, 8, 24, 168], [3, 7, 30, 100]
    ]

    @Test(arguments: lengthSets) func laneCountsEqualTheRing(lengths: [Int64]) {
        for seed in [31, 32, 33] as [UInt64] {
            check(lengths: lengths, seed: seed)
        }
    }

    private func check(lengths: [Int64], seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let longest = Int(lengths.last!)
        var table = ScanCountTable(longestHours: longest, latenessHours: Self.lateness, cachedLengths: lengths)
        let ring = Int64(longest + Self.lateness + 2)
        let cells = 24
        var slots: [Int32] = []
        for k in 0..<cells { slots.append(table.slot(for: GridCell(x: Int32(k % 8), y: Int32(k / 8)), layer: 0, admit: true)!) }
        // Per cell, every hour it was given and its newest.
        var given = [[Int64]](repeating: [], count: cells)
        var newest = [Int64](repeating: .min, count: cells)
        var now: Int64 = 400_000
        var checked = 0
        var quietChecks = 0
        for _ in 0..<3_000 {
            now += Int64(rng.next() % 7 == 0 ? rng.next() % 90 : rng.next() % 3)
            // The first third of the cells busy, the rest quiet (an occurrence now and then).
            let k = Int(rng.next() % 3 == 0 ? rng.next() % 8 : 8 + rng.next() % UInt64(cells - 8))
            let hour = now - (rng.next() % 4 == 0 ? Int64(rng.next() % UInt64(Self.lateness + 1)) : 0)
            table.add(slot: slots[k], hour: hour)
            given[k].append(hour)
            newest[k] = max(newest[k], hour)
            let probe = Int(rng.next() % UInt64(cells))
            guard newest[probe] != .min else { continue }
            let end: Int64
            switch rng.next() % 8 {
            case 0: end = newest[probe] - Int64(rng.next() % UInt64(2 * ring))  // before the ring's oldest hour too
            case 1: end = newest[probe] + Int64(rng.next() % UInt64(2 * ring))
            case 2: end = newest[probe] - Int64(rng.next() % 3)
            default: end = now + Int64(rng.next() % 2)
            }
            var out = [UInt32](repeating: 0, count: lengths.count + 2)
            table.addRecentCounts(slot: slots[probe], endHour: end, lengths: lengths, into: &out, at: 1)
            let head = newest[probe]
            let oldest = head - ring + 1
            let stored = given[probe].filter { $0 >= oldest }
            func clamp(_ x: Int64) -> Int64 { min(max(x, oldest), head) }
            #expect(out[0] == 0 && out[lengths.count + 1] == 0)
            for (j, length) in lengths.enumerated() {
                let expected = stored.filter { $0 > clamp(end - length) && $0 <= clamp(end) }.count
                #expect(Int(out[j + 1]) == expected, "seed \(seed), cell \(probe), end \(end) (newest \(head)), length \(length)")
            }
            checked += 1
            if (1...3).contains(stored.count) { quietChecks += 1 }
        }
        #expect(checked > 2_000 && quietChecks > 500, "quiet cells (1-3 recent hours) were probed: \(quietChecks) of \(checked)")
    }
}
