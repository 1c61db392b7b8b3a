/// When each (point, layer) last counted an occurrence, for the scan's repeat rule (rows of one
/// layer at one point within `repeat_window` count once).
///
/// Looked up and written twice per incident, at points spread over the whole city, so each access
/// is a cache miss or two: the keys (already `StableHash` values) are Fibonacci-hashed into one
/// open-addressing array whose entries hold the time beside the key, so a lookup and the write
/// that follows it touch one cache line (a `SlotMap` to an index into an array of times touched
/// two, and a `[UInt64: Int64]`'s SipHash made these accesses a noticeable part of the scan).
struct LastOccurrenceTable: Sendable {
    struct Entry: Sendable {
        var key: UInt64
        var time: Int64
    }

    /// Power-of-two sized, linear probing; key 0 marks a free entry (key 0 itself lives in `zero`).
    private var table: [Entry]
    private var shift: UInt64
    private var zero: Int64?
    private(set) var count = 0

    init() { self.init(capacity: 0) }

    /// An empty table that takes `keys` keys without growing.
    private init(capacity keys: Int) {
        var size = 16
        var bits: UInt64 = 4
        while (keys + 1) * 2 > size {
            size <<= 1
            bits += 1
        }
        table = Array(repeating: Entry(key: 0, time: 0), count: size)
        shift = 64 - bits
    }

    @inline(__always) private static func home(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The time last recorded for `key`, or nil.
    subscript(key: UInt64) -> Int64? {
        if key == 0 { return zero }
        return table.withUnsafeBufferPointer { t in
            let mask = t.count - 1
            var i = Self.home(key, shift)
            while true {
                let e = t[i]
                if e.key == key { return e.time }
                if e.key == 0 { return nil }
                i = (i + 1) & mask
            }
        }
    }

    /// Records `milliseconds` as the time of `key`.
    mutating func set(_ key: UInt64, _ milliseconds: Int64) {
        _ = record(key, milliseconds, unlessWithin: 0)
    }

    /// The repeat rule in one probe: false when `key`'s last recorded time is less than `window`
    /// from `milliseconds` (nothing changes), else records `milliseconds` as its time and returns
    /// true (with `window` 0, always).
    mutating func record(_ key: UInt64, _ milliseconds: Int64, unlessWithin window: Int64) -> Bool {
        if key == 0 {
            if window > 0, let last = zero, abs(milliseconds - last) < window { return false }
            if zero == nil { count += 1 }
            zero = milliseconds
            return true
        }
        if (count + 1) * 2 > table.count { grow() }
        let shift = self.shift
        let found: Bool? = table.withUnsafeMutableBufferPointer { t in
            let mask = t.count - 1
            var i = Self.home(key, shift)
            while t[i].key != 0 && t[i].key != key { i = (i + 1) & mask }
            if t[i].key == key {
                if window > 0, abs(milliseconds - t[i].time) < window { return nil }
                t[i].time = milliseconds
                return true
            }
            t[i] = Entry(key: key, time: milliseconds)
            return false
        }
        guard let found else { return false }
        if !found { count += 1 }
        return true
    }

    private mutating func grow() {
        let old = table
        table = Array(repeating: Entry(key: 0, time: 0), count: old.count * 2)
        shift -= 1
        insertAll(old)
    }

    /// Inserts entries of keys not in the table (and not 0) without growing it.
    private mutating func insertAll(_ entries: [Entry]) {
        let shift = self.shift
        table.withUnsafeMutableBufferPointer { t in
            let mask = t.count - 1
            for e in entries where e.key != 0 {
                var i = Self.home(e.key, shift)
                while t[i].key != 0 { i = (i + 1) & mask }
                t[i] = e
            }
        }
    }

    /// Forgets every key last recorded before `horizon`.
    mutating func removeAll(before horizon: Int64) {
        let kept = table.filter { $0.key != 0 && $0.time >= horizon }
        let keptZero = zero.flatMap { $0 >= horizon ? $0 : nil }
        self = Self(capacity: kept.count)
        insertAll(kept)
        zero = keptZero
        count = kept.count + (keptZero == nil ? 0 : 1)
    }
}
