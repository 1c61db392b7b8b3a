/// When each (point, layer) last counted an occurrence, for the scan's repeat rule (rows of one
/// layer at one point within `repeat_window` count once).
///
/// Looked up and written twice per incident, so the keys (already `StableHash` values) go through
/// `SlotMap`'s Fibonacci hashing to an index into a plain array of times, instead of a
/// `[UInt64: Int64]`, whose SipHash made these accesses a noticeable part of the scan.
struct LastOccurrenceTable: Sendable {
    private var slots = SlotMap()
    private var times: [Int64] = []

    var count: Int { times.count }

    /// The time last recorded for `key`, or nil.
    subscript(key: UInt64) -> Int64? {
        guard let slot = slots[key] else { return nil }
        return times[Int(slot)]
    }

    /// Records `milliseconds` as the time of `key`.
    mutating func set(_ key: UInt64, _ milliseconds: Int64) {
        if let slot = slots[key] {
            times[Int(slot)] = milliseconds
        } else {
            slots.set(key, Int32(times.count))
            times.append(milliseconds)
        }
    }

    /// Forgets every key last recorded before `horizon`.
    mutating func removeAll(before horizon: Int64) {
        var kept = SlotMap()
        var keptTimes: [Int64] = []
        for (key, slot) in slots.pairs where times[Int(slot)] >= horizon {
            kept.set(key, Int32(keptTimes.count))
            keptTimes.append(times[Int(slot)])
        }
        slots = kept
        times = keptTimes
    }
}
