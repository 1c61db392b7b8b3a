/// Occurrence counts per (cell, layer) for the space-time scan: one slot per key with occurrences.
///
/// An evaluation reads about 29 slots, so what it reads of a slot sits in one 128-byte record:
/// the slot's newest hour, its cached 52-week baseline sum, and the hours of its recent
/// occurrences (those the ring of `hours` hours ending at its newest hour still holds), sorted.
/// Counting a cylinder's hours is a walk of that short list; a place with more recent
/// occurrences than the record holds keeps its list beside it. Weekly counts for the baseline
/// live in a separate ring, read only when a slot's cached week moves.
///
/// The counts are those of a cumulative hourly ring of `hours` hours (the design this replaces,
/// kept as the reference in the tests): an hour older than the ring reads as its oldest hour.
/// Memory follows the keys that have occurrences, never the area of the grid.
struct ScanCountTable: Sendable {
    /// Weeks kept: the baseline reaches back to week wc − 53 from the current week wc.
    static let weeks = 56
    static let baselineFirst: Int64 = 53
    static let baselineLast: Int64 = 2
    static let empty = Int64.min

    /// Record words: newest hour, cached week, cached baseline sum, stored hours (or `spilled`),
    /// then the hours themselves. Hours and weeks since the epoch fit in 32 bits for years 0–9999.
    static let stride = 32
    static let inlineHours = stride - 4
    private static let emptyWord = Int32.min
    private static let spilled: Int32 = -1

    /// Ring length in hours: the longest cylinder plus the allowed lateness, with margin.
    let hours: Int
    private var index = ScanSlotIndex()
    private var freeSlots: [Int32] = []
    private var records: [Int32] = []
    private var spill: [Int32: [Int32]] = [:]
    private var weekly: [UInt32] = []
    private var headWeek: [Int64] = []
    private var owner: [(cell: GridCell, layer: UInt16)] = []
    private(set) var keyCount = 0

    init(longestHours: Int, latenessHours: Int) {
        hours = longestHours + latenessHours + 2
    }

    /// Slots whose recent hours are kept beside their record (busy places).
    var spilledSlots: Int { spill.count }

    @inline(__always) mutating func slot(_ cell: GridCell, layer: UInt16) -> Int32? { index.slot(cell, layer: layer) }

    /// The slot for (`cell`, `layer`), creating it; nil when new and `admit` is false (cap reached).
    mutating func slot(for cell: GridCell, layer: UInt16, admit: Bool) -> Int32? {
        if let s = index.slot(cell, layer: layer) { return s }
        guard admit else { return nil }
        let s: Int32
        if let reused = freeSlots.popLast() {
            s = reused
            headWeek[Int(s)] = Self.empty
            owner[Int(s)] = (cell, layer)
            for i in (Int(s) * Self.weeks)..<(Int(s) * Self.weeks + Self.weeks) { weekly[i] = 0 }
        } else {
            s = Int32(headWeek.count)
            records.append(contentsOf: repeatElement(0, count: Self.stride))
            weekly.append(contentsOf: repeatElement(0, count: Self.weeks))
            headWeek.append(Self.empty)
            owner.append((cell, layer))
        }
        let base = Int(s) * Self.stride
        records[base] = Self.emptyWord
        records[base + 1] = Self.emptyWord
        records[base + 2] = 0
        records[base + 3] = 0
        index.insert(s, cell: cell, layer: layer)
        keyCount += 1
        return s
    }

    /// Counts one occurrence at `hour` (ignored when the ring no longer reaches it, as the
    /// cumulative ring ignores it).
    mutating func add(slot: Int32, hour: Int64) {
        let s = Int(slot)
        let base = s * Self.stride
        var head = Int64(records[base])
        if records[base] == Self.emptyWord {
            head = hour
            records[base] = Int32(truncatingIfNeeded: hour)
        } else if hour > head {
            head = hour
            records[base] = Int32(truncatingIfNeeded: hour)
            dropHours(slot: slot, throughHour: head - Int64(hours))
        }
        if head - hour < Int64(hours) { insertHour(slot: slot, Int32(truncatingIfNeeded: hour)) }

        let week = ClusterTime.week(ofHour: hour)
        let wbase = s * Self.weeks
        let wHead = headWeek[s]
        if wHead == Self.empty {
            headWeek[s] = week
        } else if week > wHead {
            let gap = min(week - wHead, Int64(Self.weeks))
            var w = week - gap + 1
            while w <= week {
                weekly[wbase + Self.position(w, Self.weeks)] = 0
                w += 1
            }
            headWeek[s] = week
        }
        if headWeek[s] - week < Int64(Self.weeks) { weekly[wbase + Self.position(week, Self.weeks)] &+= 1 }
        let cached = records[base + 1]
        if cached != Self.emptyWord, week >= Int64(cached) - Self.baselineFirst, week <= Int64(cached) - Self.baselineLast {
            records[base + 1] = Self.emptyWord
        }
    }

    /// Occurrences of the slot with hour in (end − length, end].
    func count(slot: Int32, endHour: Int64, length: Int64) -> UInt32 {
        var out: [UInt32] = [0]
        addCounts(slot: slot, endHour: endHour, lengths: [length], into: &out, at: 0)
        return out[0]
    }

    /// Adds the slot's occurrences with hour in (end − lengths[j], end] to `out[at + j]` for
    /// every j; `lengths` ascending. One walk of the slot's recent hours for all lengths.
    @inline(__always)
    func addCounts(slot: Int32, endHour: Int64, lengths: [Int64], into out: inout [UInt32], at: Int) {
        let base = Int(slot) * Self.stride
        let headWord = records[base]
        guard headWord != Self.emptyWord else { return }
        let head = Int64(headWord)
        let oldest = head - Int64(hours) + 1
        @inline(__always) func clamp(_ x: Int64) -> Int64 { min(max(x, oldest), head) }
        let upper = clamp(endHour)
        let n = lengths.count
        @inline(__always) func tally(_ h: Int64) {
            guard h <= upper else { return }
            // Lower bounds fall as lengths grow: the first length whose bound h exceeds, and all after it.
            var j = 0
            while j < n, h <= clamp(endHour - lengths[j]) { j += 1 }
            while j < n {
                out[at + j] &+= 1
                j += 1
            }
        }
        let stored = records[base + 3]
        if stored == Self.spilled {
            for h in spill[slot]! { tally(Int64(h)) }
        } else {
            var i = base + 4
            let end = i + Int(stored)
            while i < end {
                tally(Int64(records[i]))
                i += 1
            }
        }
    }

    /// Occurrences of the slot in the baseline weeks of current week `week` (week − 53 … week − 2).
    /// Cached per slot; a later week moves the cached sum by the weeks that entered and left,
    /// so a slot read every week costs two additions, not 52.
    mutating func baseline(slot: Int32, week: Int64) -> UInt32 {
        let s = Int(slot)
        let base = s * Self.stride
        let cachedWord = records[base + 1]
        if cachedWord != Self.emptyWord, Int64(cachedWord) == week { return UInt32(bitPattern: records[base + 2]) }
        let head = headWeek[s]
        var sum: UInt32 = 0
        if head != Self.empty {
            let cached = Int64(cachedWord)
            if cachedWord != Self.emptyWord, week > cached, week - cached < 52, head <= cached + 2 {
                // Weeks cached−1 … week−2 entered, cached−53 … week−54 left (all still in the ring).
                sum = UInt32(bitPattern: records[base + 2])
                var w = cached - 1
                while w <= week - Self.baselineLast {
                    sum &+= weeklyCount(s, w, head: head)
                    w += 1
                }
                w = cached - Self.baselineFirst
                while w <= week - Self.baselineFirst - 1 {
                    sum &-= weeklyCount(s, w, head: head)
                    w += 1
                }
            } else {
                var w = week - Self.baselineFirst
                while w <= week - Self.baselineLast {
                    sum &+= weeklyCount(s, w, head: head)
                    w += 1
                }
            }
        }
        records[base + 1] = Int32(truncatingIfNeeded: week)
        records[base + 2] = Int32(bitPattern: sum)
        return sum
    }

    @inline(__always) private func weeklyCount(_ s: Int, _ w: Int64, head: Int64) -> UInt32 {
        w <= head && head - w < Int64(Self.weeks) ? weekly[s * Self.weeks + Self.position(w, Self.weeks)] : 0
    }

    /// Frees slots with no occurrence since before `week` (they no longer reach any baseline or
    /// cylinder). Returns how many were removed.
    mutating func expire(olderThanWeek week: Int64) -> Int {
        var removed = 0
        for s in headWeek.indices where headWeek[s] != Self.empty && headWeek[s] < week {
            let slot = Int32(s)
            index.remove(slot, cell: owner[s].cell, layer: owner[s].layer)
            headWeek[s] = Self.empty
            records[s * Self.stride] = Self.emptyWord
            spill[slot] = nil
            freeSlots.append(slot)
            removed += 1
        }
        keyCount -= removed
        return removed
    }

    @inline(__always) static func position(_ index: Int64, _ size: Int) -> Int { Int(floorModulo(index, Int64(size))) }

    // MARK: the slot's recent hours, ascending

    private mutating func insertHour(slot: Int32, _ hour: Int32) {
        let base = Int(slot) * Self.stride
        let stored = Int(records[base + 3])
        if records[base + 3] == Self.spilled {
            var list = spill.removeValue(forKey: slot)!
            list.insert(hour, at: list.firstIndex(where: { $0 > hour }) ?? list.count)
            spill[slot] = list
            return
        }
        if stored == Self.inlineHours {
            var list = Array(records[(base + 4)..<(base + 4 + stored)])
            list.insert(hour, at: list.firstIndex(where: { $0 > hour }) ?? list.count)
            spill[slot] = list
            records[base + 3] = Self.spilled
            return
        }
        var i = base + 4 + stored
        while i > base + 4, records[i - 1] > hour {
            records[i] = records[i - 1]
            i -= 1
        }
        records[i] = hour
        records[base + 3] = Int32(stored + 1)
    }

    /// Forgets hours ≤ `limit` (the ring moved past them); a spilled list that fits again moves back.
    private mutating func dropHours(slot: Int32, throughHour limit: Int64) {
        let base = Int(slot) * Self.stride
        if records[base + 3] == Self.spilled {
            var list = spill.removeValue(forKey: slot)!
            let keep = list.firstIndex(where: { Int64($0) > limit }) ?? list.count
            list.removeFirst(keep)
            if list.count <= Self.inlineHours / 2 {
                for (k, h) in list.enumerated() { records[base + 4 + k] = h }
                records[base + 3] = Int32(list.count)
            } else {
                spill[slot] = list
            }
            return
        }
        let stored = Int(records[base + 3])
        var keep = 0
        while keep < stored, Int64(records[base + 4 + keep]) <= limit { keep += 1 }
        guard keep > 0 else { return }
        for k in 0..<(stored - keep) { records[base + 4 + k] = records[base + 4 + keep + k] }
        records[base + 3] = Int32(stored - keep)
    }
}
