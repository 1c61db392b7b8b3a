/// Occurrence counts per (cell, layer) for the space-time scan, in flat arrays: one slot per key.
///
/// Each slot holds a cumulative hourly ring (occurrences with hour ≤ h, for the last `hours`
/// hours), so the count of any cylinder length is one subtraction, and a ring of weekly counts
/// over `weeks` weeks for the trailing-year baseline, whose 52-week sum is cached per current week.
/// Memory follows the keys that have occurrences, never the area of the grid.
struct ScanCountTable: Sendable {
    /// Weeks kept: the baseline reaches back to week wc − 53 from the current week wc.
    static let weeks = 56
    static let baselineFirst: Int64 = 53
    static let baselineLast: Int64 = 2
    static let empty = Int64.min

    /// Ring length in hours: the longest cylinder plus the allowed lateness, with margin.
    let hours: Int
    private var slots: [UInt64: Int32] = [:]
    private var freeSlots: [Int32] = []
    private var cumulative: [UInt32] = []
    private var headHour: [Int64] = []
    private var weekly: [UInt32] = []
    private var headWeek: [Int64] = []
    private var cacheWeek: [Int64] = []
    private var cacheSum: [UInt32] = []

    init(longestHours: Int, latenessHours: Int) {
        hours = longestHours + latenessHours + 2
    }

    var keyCount: Int { slots.count }

    @inline(__always) func slot(of key: UInt64) -> Int32? { slots[key] }

    /// The slot for `key`, creating it; nil when new and `admit` is false (cap reached).
    mutating func slot(for key: UInt64, admit: Bool) -> Int32? {
        if let s = slots[key] { return s }
        guard admit else { return nil }
        let s: Int32
        if let reused = freeSlots.popLast() {
            s = reused
            for i in (Int(s) * hours)..<(Int(s) * hours + hours) { cumulative[i] = 0 }
            for i in (Int(s) * Self.weeks)..<(Int(s) * Self.weeks + Self.weeks) { weekly[i] = 0 }
            headHour[Int(s)] = Self.empty
            headWeek[Int(s)] = Self.empty
            cacheWeek[Int(s)] = Self.empty
            cacheSum[Int(s)] = 0
        } else {
            s = Int32(headHour.count)
            cumulative.append(contentsOf: repeatElement(0, count: hours))
            weekly.append(contentsOf: repeatElement(0, count: Self.weeks))
            headHour.append(Self.empty)
            headWeek.append(Self.empty)
            cacheWeek.append(Self.empty)
            cacheSum.append(0)
        }
        slots[key] = s
        return s
    }

    /// Counts one occurrence at `hour` (never more than the ring's lateness margin behind the slot's newest hour).
    mutating func add(slot: Int32, hour: Int64) {
        let s = Int(slot)
        let base = s * hours
        let head = headHour[s]
        if head == Self.empty {
            headHour[s] = hour
        } else if hour > head {
            let value = cumulative[base + Self.position(head, hours)]
            let gap = min(hour - head, Int64(hours))
            var h = hour - gap + 1
            while h <= hour { cumulative[base + Self.position(h, hours)] = value; h += 1 }
            headHour[s] = hour
        }
        let newest = headHour[s]
        if newest - hour < Int64(hours) {
            var h = hour
            while h <= newest { cumulative[base + Self.position(h, hours)] &+= 1; h += 1 }
        }
        let week = ClusterTime.week(ofHour: hour)
        let wbase = s * Self.weeks
        let wHead = headWeek[s]
        if wHead == Self.empty {
            headWeek[s] = week
        } else if week > wHead {
            let gap = min(week - wHead, Int64(Self.weeks))
            var w = week - gap + 1
            while w <= week { weekly[wbase + Self.position(w, Self.weeks)] = 0; w += 1 }
            headWeek[s] = week
        }
        if headWeek[s] - week < Int64(Self.weeks) { weekly[wbase + Self.position(week, Self.weeks)] &+= 1 }
        let cached = cacheWeek[s]
        if cached != Self.empty, week >= cached - Self.baselineFirst, week <= cached - Self.baselineLast { cacheWeek[s] = Self.empty }
    }

    /// Occurrences of the slot with hour in (end − length, end].
    @inline(__always) func count(slot: Int32, endHour: Int64, length: Int64) -> UInt32 {
        cumulativeCount(slot: slot, hour: endHour) &- cumulativeCount(slot: slot, hour: endHour - length)
    }

    @inline(__always) private func cumulativeCount(slot: Int32, hour: Int64) -> UInt32 {
        let s = Int(slot)
        let head = headHour[s]
        if head == Self.empty { return 0 }
        if hour >= head { return cumulative[s * hours + Self.position(head, hours)] }
        if head - hour < Int64(hours) { return cumulative[s * hours + Self.position(hour, hours)] }
        // Older than the ring: the oldest value held (no cylinder reaches that far back).
        return cumulative[s * hours + Self.position(head - Int64(hours) + 1, hours)]
    }

    /// Occurrences of the slot in the baseline weeks of current week `week` (week − 53 … week − 2).
    /// Cached per slot; a later week moves the cached sum by the weeks that entered and left,
    /// so a slot read every week costs two additions, not 52.
    mutating func baseline(slot: Int32, week: Int64) -> UInt32 {
        let s = Int(slot)
        let cached = cacheWeek[s]
        if cached == week { return cacheSum[s] }
        let head = headWeek[s]
        var sum: UInt32 = 0
        if head != Self.empty {
            if cached != Self.empty, week > cached, week - cached < 52, head <= cached + 2 {
                // Weeks cached−1 … week−2 entered, cached−53 … week−54 left (all still in the ring).
                sum = cacheSum[s]
                var w = cached - 1
                while w <= week - Self.baselineLast { sum &+= weeklyCount(s, w, head: head); w += 1 }
                w = cached - Self.baselineFirst
                while w <= week - Self.baselineFirst - 1 { sum &-= weeklyCount(s, w, head: head); w += 1 }
            } else {
                var w = week - Self.baselineFirst
                while w <= week - Self.baselineLast { sum &+= weeklyCount(s, w, head: head); w += 1 }
            }
        }
        cacheWeek[s] = week
        cacheSum[s] = sum
        return sum
    }

    @inline(__always) private func weeklyCount(_ s: Int, _ w: Int64, head: Int64) -> UInt32 {
        w <= head && head - w < Int64(Self.weeks) ? weekly[s * Self.weeks + Self.position(w, Self.weeks)] : 0
    }

    /// Frees slots with no occurrence since before `week` (they no longer reach any baseline or
    /// cylinder). Returns how many were removed.
    mutating func expire(olderThanWeek week: Int64) -> Int {
        var removed: [UInt64] = []
        for (key, s) in slots where headWeek[Int(s)] != Self.empty && headWeek[Int(s)] < week { removed.append(key) }
        for key in removed { freeSlots.append(slots.removeValue(forKey: key)!) }
        return removed.count
    }

    @inline(__always) static func position(_ index: Int64, _ size: Int) -> Int {
        let r = Int(index % Int64(size))
        return r < 0 ? r + size : r
    }
}
