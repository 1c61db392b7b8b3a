/// When each (point, layer) last counted an occurrence, for the scan's repeat rule (rows of one
/// layer at one point within `repeat_window` count once).
///
/// Looked up and written twice per incident, at points spread over the whole city, so each access
/// is a cache miss or two: the keys (already `StableHash` values) go into a `SlotMap` of times, and
/// the rule is decided and written in its one probe (`record`), so a lookup and the write that
/// follows it touch one cache line (a `[UInt64: Int64]`'s SipHash made these accesses a noticeable
/// part of the scan).
struct LastOccurrenceTable: Sendable {
    /// Times in milliseconds; `Int64.min`, the map's free mark, is never an incident's time.
    private var times = SlotMap<Int64>()

    init() {}

    var count: Int { times.count }

    /// The time last recorded for `key`, or nil.
    subscript(key: UInt64) -> Int64? { times[key] }

    /// Records `milliseconds` as the time of `key`.
    mutating func set(_ key: UInt64, _ milliseconds: Int64) {
        _ = record(key, milliseconds, unlessWithin: 0)
    }

    /// The repeat rule in one probe: false when `key`'s last recorded time is less than `window`
    /// from `milliseconds` (nothing changes), else records `milliseconds` as its time and returns
    /// true (with `window` 0, always).
    @inline(__always)
    mutating func record(_ key: UInt64, _ milliseconds: Int64, unlessWithin window: Int64) -> Bool {
        times.store(key) { last in
            if window > 0, let last, abs(milliseconds - last) < window { return nil }
            return milliseconds
        }
    }

    /// Forgets every key last recorded before `horizon`, leaving room for `room(kept)` keys
    /// (`SlotMap.removeAll(keeping:room:)`).
    mutating func removeAll(before horizon: Int64, room: (Int) -> Int = { $0 }) {
        times.removeAll(keeping: { _, time in time >= horizon }, room: room)
    }
}
