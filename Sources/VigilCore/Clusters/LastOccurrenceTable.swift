/// When each (point, layer) last counted an occurrence, for the scan's repeat rule (rows of one
/// layer at one point within `repeat_window` count once).
///
/// Looked up and written twice per incident, so it is an open-addressing table with Fibonacci
/// hashing (one multiply; the keys are already `StableHash` values) instead of a
/// `[UInt64: Int64]`, whose SipHash made these four accesses a noticeable part of the scan.
struct LastOccurrenceTable: Sendable {
    private struct Entry: Sendable {
        var key: UInt64
        var milliseconds: Int64
    }

    /// `milliseconds == vacant` marks a free entry (no event time is Int64.min).
    private static let vacant = Int64.min
    private var table: [Entry]
    private var shift: UInt64
    private(set) var count = 0

    init() {
        table = Array(repeating: Entry(key: 0, milliseconds: Self.vacant), count: 16)
        shift = 64 - 4
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The time last recorded for `key`, or nil.
    subscript(key: UInt64) -> Int64? {
        let mask = table.count - 1
        var i = home(key)
        while true {
            let e = table[i]
            if e.milliseconds == Self.vacant { return nil }
            if e.key == key { return e.milliseconds }
            i = (i + 1) & mask
        }
    }

    /// Records `milliseconds` as the time of `key`.
    mutating func set(_ key: UInt64, _ milliseconds: Int64) {
        precondition(milliseconds != Self.vacant)
        if (count + 1) * 2 > table.count { rebuild(capacity: table.count * 2, keeping: { _ in true }) }
        let mask = table.count - 1
        var i = home(key)
        while table[i].milliseconds != Self.vacant {
            if table[i].key == key {
                table[i].milliseconds = milliseconds
                return
            }
            i = (i + 1) & mask
        }
        table[i] = Entry(key: key, milliseconds: milliseconds)
        count += 1
    }

    /// Forgets every key last recorded before `horizon`.
    mutating func removeAll(before horizon: Int64) {
        var keep = 0
        for e in table where e.milliseconds != Self.vacant && e.milliseconds >= horizon { keep += 1 }
        var capacity = 16
        while capacity < keep * 2 + 2 { capacity *= 2 }
        rebuild(capacity: capacity) { $0 >= horizon }
    }

    private mutating func rebuild(capacity: Int, keeping: (Int64) -> Bool) {
        let old = table
        table = Array(repeating: Entry(key: 0, milliseconds: Self.vacant), count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
        for e in old where e.milliseconds != Self.vacant && keeping(e.milliseconds) { set(e.key, e.milliseconds) }
    }
}
