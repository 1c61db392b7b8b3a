/// A hash map from packed 64-bit keys to small integer values (slot numbers, times), for the
/// per-event lookups of the window tables, the scan and its repeat rule.
///
/// The engine looks keys up some 25 times per incident (3 adds, 18 neighbourhood feature reads,
/// the rules); with `[UInt64: Int32]` each lookup runs SipHash-1-3, about a sixth of the whole
/// engine's time in the profile. Keys here are not attacker-chosen in a way that matters (a cell,
/// a category and a neighbourhood id packed by `AggregateKey`, bounded by `max_keys`), so one
/// multiply (Fibonacci hashing) spreads them well enough, and open addressing with linear probing
/// keeps a lookup to one or two cache lines of a single array.
///
/// Removal shifts the following entries of the probe run back (no tombstones), so lookups never
/// slow down as keys come and go. Iteration order is the table's order: deterministic, but
/// callers must not depend on it (the engine's outputs never do).
///
/// `Value.min` marks a free entry, so it is the one value that cannot be stored.
struct SlotMap<Value: FixedWidthInteger & Sendable>: Sendable {
    struct Entry: Sendable {
        var key: UInt64
        var value: Value
    }

    /// Power-of-two sized; `value == vacant` marks a free entry.
    private var table: [Entry]
    private var shift: UInt64
    private(set) var count = 0

    static var vacant: Value { Value.min }

    init() {
        table = Array(repeating: Entry(key: 0, value: Self.vacant), count: 16)
        shift = 64 - 4
    }

    /// An empty map that takes `keys` keys without growing: for a map built in one go, where
    /// growing by doubling rehashes every key several times.
    init(capacity keys: Int) {
        var size = 16
        var bits: UInt64 = 4
        while (keys + 1) * 2 > size {
            size <<= 1
            bits += 1
        }
        table = Array(repeating: Entry(key: 0, value: Self.vacant), count: size)
        shift = 64 - bits
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The value of `key`, or nil.
    @inline(__always) subscript(key: UInt64) -> Value? {
        table.withUnsafeBufferPointer { t in
            let mask = t.count - 1
            var i = home(key)
            while true {
                let e = t[i]
                if e.value == Self.vacant { return nil }
                if e.key == key { return e.value }
                i = (i + 1) & mask
            }
        }
    }

    /// Sets `key` to `value` (never `vacant`), adding the key if new.
    mutating func set(_ key: UInt64, _ value: Value) {
        precondition(value != Self.vacant)
        if (count + 1) * 2 > table.count { grow() }
        let mask = table.count - 1
        var i = home(key)
        while table[i].value != Self.vacant {
            if table[i].key == key {
                table[i].value = value
                return
            }
            i = (i + 1) & mask
        }
        table[i] = Entry(key: key, value: value)
        count += 1
    }

    /// In one probe: `decide` sees `key`'s value (nil when absent) and returns the value to store
    /// (never `vacant`), or nil to leave the map as it is. Returns whether it stored. Why: a rule
    /// that reads a value and writes it back (the scan's repeat rule, at points spread over the
    /// city) then touches one cache line, not two probes' worth.
    @inline(__always)
    mutating func store(_ key: UInt64, deciding decide: (Value?) -> Value?) -> Bool {
        if (count + 1) * 2 > table.count { grow() }
        let shift = self.shift
        let added: Bool? = table.withUnsafeMutableBufferPointer { t in
            let mask = t.count - 1
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while t[i].value != Self.vacant && t[i].key != key { i = (i + 1) & mask }
            let present = t[i].value != Self.vacant
            guard let value = decide(present ? t[i].value : nil) else { return nil }
            precondition(value != Self.vacant)
            t[i] = Entry(key: key, value: value)
            return !present
        }
        guard let added else { return false }
        if added { count += 1 }
        return true
    }

    /// Keeps only the entries `keep` accepts, in a table sized for `room(kept)` keys (at least the
    /// kept ones). Why `room`: a caller that purges whenever the map reaches a size (the scan's
    /// repeat rule, at twice what the last purge kept) sizes the table for that at once; sized for
    /// the kept keys only, it grew by doubling once or twice before each purge, every growth setting
    /// every key again: ~260 of the scan's instructions an incident at Toronto's density.
    mutating func removeAll(keeping keep: (UInt64, Value) -> Bool, room: (Int) -> Int = { $0 }) {
        let kept = table.filter { $0.value != Self.vacant && keep($0.key, $0.value) }
        self = Self(capacity: max(kept.count, room(kept.count)))
        for e in kept { set(e.key, e.value) }
    }

    /// Removes `key` if present; returns its value.
    @discardableResult
    mutating func remove(_ key: UInt64) -> Value? {
        let mask = table.count - 1
        var i = home(key)
        while true {
            if table[i].value == Self.vacant { return nil }
            if table[i].key == key { break }
            i = (i + 1) & mask
        }
        let removed = table[i].value
        // Backward-shift deletion: move later entries of the run into the hole when their home
        // position does not lie (cyclically) between the hole and where they sit.
        var hole = i
        var j = i
        while true {
            j = (j + 1) & mask
            if table[j].value == Self.vacant { break }
            let h = home(table[j].key)
            let stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !stays {
                table[hole] = table[j]
                hole = j
            }
        }
        table[hole] = Entry(key: 0, value: Self.vacant)
        count -= 1
        return removed
    }

    private mutating func grow() {
        let old = table
        table = Array(repeating: Entry(key: 0, value: Self.vacant), count: old.count * 2)
        shift -= 1
        count = 0
        for e in old where e.value != Self.vacant { set(e.key, e.value) }
    }

    /// Every (key, value) pair, in table order.
    var pairs: [(key: UInt64, slot: Value)] {
        var out: [(key: UInt64, slot: Value)] = []
        out.reserveCapacity(count)
        for e in table where e.value != Self.vacant { out.append((e.key, e.value)) }
        return out
    }
}
