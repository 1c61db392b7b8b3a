/// Occurrence counts per (cell, layer) for the space-time scan: one slot per key with occurrences.
///
/// An evaluation reads about 29 disc cells, so what it reads of every cell is small and sits by
/// the cell's index location (`ScanSlotIndex`: 8×8 tiles of cells, a tile's cells contiguous, a
/// disc column's cells neighbours): the cell's cached 52-week baseline sum and its week, 8 bytes
/// (`baselines`), and one bit per cell in its tile's mask of cells that may have recent
/// occurrences (`recentMask`). Only the few disc cells whose bit is set are read further (on
/// Toronto about one disc cell in nine has an occurrence within the longest cylinder): their
/// slot, newest hour and number of recent hours (`CellState`), then their recent hours. The rest
/// is read only when it matters. The hours of a slot's recent occurrences (those
/// the ring of `hours` hours ending at its newest hour still holds), sorted, sit in a 128-byte
/// record per slot, read only when the slot's newest hour reaches the longest cylinder; a place
/// with more recent occurrences than the record holds keeps its list beside it. Weekly counts for
/// the baseline live in a separate ring, read only when a slot's cached week moves.
///
/// The counts are those of a cumulative hourly ring of `hours` hours (the design this replaces,
/// kept as the reference in the tests): an hour older than the ring reads as its oldest hour.
/// Memory follows the keys that have occurrences, never the area of the grid.
struct ScanCountTable: Sendable {
    /// Weeks kept: the baseline reaches back to week wc − 53 from the current week wc. 64 keeps
    /// ten weeks of margin, so a cell whose newest occurrence is up to ten weeks past its cached
    /// baseline week still moves that baseline by the weeks that entered and left (a busy cell's
    /// weekly move reads two weeks, not 52), and a week's ring position is one bit of a UInt64.
    static let weeks = 64
    static let baselineFirst: Int64 = 53
    static let baselineLast: Int64 = 2
    static let empty = Int64.min

    /// Recent hours a record holds. Hours and weeks since the epoch fit in 32 bits for years 0–9999.
    static let inlineHours = 32
    private static let emptyWord = Int32.min
    private static let spilled: Int32 = -1

    /// What an evaluation reads of a disc cell that may have recent occurrences (by index
    /// location), 32 bytes (two to a cache line): the slot (`none` at a free location), newest
    /// hour, how many recent hours the record holds (or `spilled`), the cached baseline, and which
    /// positions of the weekly ring hold a count (bit p clear: position p counts 0, whatever its
    /// word holds, so neither a reused slot nor weeks the head skips need their words cleared),
    /// so moving a cached baseline reads the ring only at weeks that had occurrences. The weekly
    /// ring's head is the week of the newest hour, so it is not stored.
    struct CellState: Sendable {
        var slot = ScanSlotIndex.none
        var head = ScanCountTable.emptyWord
        var stored: Int32 = 0
        /// The location's cached baseline (`baselines`: its week and sum), mirrored here: counting an
        /// occurrence and evaluating a cell with recent occurrences read this record anyway, so they
        /// need not also read the baseline's word (a cache miss each on a city's state).
        var baselineWeek = ScanCountTable.emptyWord
        var weeksWithCounts: UInt64 = 0
        var baselineSum: UInt32 = 0
        /// The end hour of the slot's cached counts (`countCache`), `emptyWord` when it has none;
        /// in the record's padding, so counting an occurrence learns it without another read.
        var cacheEnd = ScanCountTable.emptyWord
    }

    /// A location's cached baseline: the week it is for (high 32 bits) and the sum (low 32 bits);
    /// `noBaseline` is for no week.
    private static let noBaseline = UInt64(UInt32(bitPattern: Int32.min)) << 32

    /// Ring length in hours: the longest cylinder plus the allowed lateness, with margin.
    let hours: Int
    /// The longest cylinder, in hours.
    let longest: Int64
    private var index = ScanSlotIndex()
    private var freeSlots: [Int32] = []
    private var state: [CellState] = []
    /// Per location: the cached baseline sum and its week (`noBaseline`: none); a free location
    /// caches its 0 too, so an evaluation reads nothing else of it.
    private var baselines: [UInt64] = []
    /// Per tile (location / 64): bit p set when the cell at position p may have an occurrence an
    /// evaluation counts. Set by `add`; cleared by an evaluation that finds the cell's newest hour
    /// far enough behind (`recentFloor` keeps that exact for evaluations of earlier hours).
    private var recentMask: [UInt64] = []
    /// Per tile: at most the week of the newest hour of every live slot in it that has one
    /// (`Int32.max`: none). Newest hours only grow, so lowering it at a slot's first occurrence
    /// keeps it a lower bound; the expiry pass reads only the tiles it lets through (a whole
    /// pass over every location's record was a cache miss per two locations, each week).
    private var oldestWeek: [Int32] = []
    /// Every cell whose bit was cleared has newest hour + longest cylinder ≤ this: an evaluation
    /// ending before it reads every disc cell as before.
    private var recentFloor = Int64.min
    private var records: [Int32] = []
    private var spill: [Int32: [Int32]] = [:]
    private var weekly: [UInt32] = []
    private var owner: [(cell: GridCell, layer: UInt16)] = []
    private(set) var keyCount = 0
    /// The lengths whose counts each slot caches (the scan's durations, ascending; empty: none).
    let cachedLengths: [Int64]
    /// Words per slot in `countCache`: one count per cached length, then one first-hour bound per
    /// cached length.
    private let cacheStride: Int
    /// Per slot: its count in each cached length ending at the record's `cacheEnd`. Valid while the
    /// slot's newest hour is at or before that end, when a count is simply the recent hours past
    /// the length's start: an occurrence at or before the end updates the counts, and a later end
    /// moves each length's start past the hours that left it (a count is also the position of its
    /// first hour from the record's end). At a busy place (many recent hours) every evaluation of a
    /// disc around it read all of them; now the first in an hour moves the counts and the others
    /// read them.
    ///
    /// After the counts, per length, a lower bound of the earliest hour it counts (`Int32.max` when
    /// it counts none, as an Int32 bit pattern): a move reads the slot's hours only for the lengths
    /// whose bound reaches their new start, that is when an hour may leave. Most moves are an hour or
    /// two, and then the short lengths lose an hour now and then and the long ones rarely; each
    /// length's walk read the hours at its own start, a different cache line of a busy slot's hours
    /// per length, and a spilled slot's list through a hashed lookup.
    private var countCache: [UInt32] = []
    /// `countCache`'s bound for a length that counts no hour.
    private static let noFirstHour = UInt32(bitPattern: Int32.max)
    /// Recent hours from which a slot's counts go through its cache (with fewer, walking the
    /// record is as cheap as reading the cache).
    static let cachedFromHours: Int32 = 4
    /// `cachedLengths` as vector lanes when there are at most eight (the scan's durations as
    /// shipped are eight), nil otherwise. A padding lane's length is 0, which counts no hour. A
    /// cell's counts in every length are then one vector subtract and shift per recent hour (the
    /// scalar walk compared each hour with the lengths one at a time, ~12 instructions per length
    /// and hour), and a cached row is added as one vector.
    private let laneLengths: SIMD8<Int32>?
    /// The longest cached length (0 when none).
    private let longestCached: Int64

    init(longestHours: Int, latenessHours: Int, cachedLengths: [Int64] = []) {
        hours = longestHours + latenessHours + 2
        longest = Int64(longestHours)
        precondition(cachedLengths == cachedLengths.sorted() && (cachedLengths.last ?? 0) <= Int64(longestHours))
        self.cachedLengths = cachedLengths
        cacheStride = 2 * cachedLengths.count
        longestCached = cachedLengths.last ?? 0
        if !cachedLengths.isEmpty, cachedLengths.count <= 8 {
            var lanes = SIMD8<Int32>()
            for (j, length) in cachedLengths.enumerated() { lanes[j] = Int32(length) }
            laneLengths = lanes
        } else {
            laneLengths = nil
        }
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
            owner[Int(s)] = (cell, layer)
            // Its weekly ring is left as it was: a position counts only while its bit is set, and
            // the new record has none.
        } else {
            s = Int32(owner.count)
            records.append(repeating: 0, count: Self.inlineHours)
            weekly.append(repeating: 0, count: Self.weeks)
            owner.append((cell, layer))
            countCache.append(repeating: 0, count: cacheStride)  // set in full before use
        }
        index.insert(s, cell: cell, layer: layer)
        if state.count < index.locationCount {
            state.append(repeating: CellState(), count: index.locationCount - state.count)
            baselines.append(repeating: Self.noBaseline, count: index.locationCount - baselines.count)
            recentMask.append(repeating: 0, count: index.locationCount / ScanSlotIndex.tileCells - recentMask.count)
            oldestWeek.append(repeating: Int32.max, count: recentMask.count - oldestWeek.count)
        }
        let at = index.location(ofSlot: s)
        state[at] = CellState(slot: s)
        baselines[at] = Self.noBaseline  // the record's baselineWeek is empty too
        keyCount += 1
        return s
    }

    /// Counts one occurrence at `hour` (ignored when the ring no longer reaches it, as the
    /// cumulative ring ignores it).
    mutating func add(slot: Int32, hour: Int64) {
        add(location: index.location(ofSlot: slot), hour: hour)
    }

    /// Counts one occurrence of `layer` in `cell` at `hour`, creating the key's slot unless it is
    /// new and `admit` is false (the cap): then nothing is counted and the result is false.
    ///
    /// One tile lookup finds the cell's location, and the location's record says its slot, so
    /// counting reads the record, the tile's mask word, the slot's weekly ring and recent hours:
    /// no slot-to-location table and no baseline word (each was a cache miss per occurrence).
    mutating func add(cell: GridCell, layer: UInt16, hour: Int64, admit: Bool) -> Bool {
        let at = index.location(cell, layer: layer)
        if at >= 0, state[at].slot != ScanSlotIndex.none {
            add(location: at, hour: hour)
            return true
        }
        guard let slot = slot(for: cell, layer: layer, admit: admit) else { return false }
        add(location: index.location(ofSlot: slot), hour: hour)
        return true
    }

    /// `add(slot:hour:)` for the live slot at index location `at`. The location's record is read
    /// into a local and written back once: each write through the array paid a uniqueness check.
    private mutating func add(location at: Int, hour: Int64) {
        var cell = state[at]
        let slot = cell.slot
        let s = Int(slot)
        let previous = cell.head
        var head = Int64(previous)
        if previous == Self.emptyWord {
            head = hour
            cell.head = Int32(truncatingIfNeeded: hour)
            let week = Int32(truncatingIfNeeded: ClusterTime.week(ofHour: hour))
            let tile = at >> ScanSlotIndex.tileCellShift
            if week < oldestWeek[tile] { oldestWeek[tile] = week }
        } else if hour > head {
            head = hour
            cell.head = Int32(truncatingIfNeeded: hour)
            dropHours(slot: slot, stored: &cell.stored, throughHour: head - Int64(hours), newest: Int64(previous))
        }
        let inserted = head - hour < Int64(hours)
        if cell.cacheEnd != Self.emptyWord { updateCache(cell: &cell, head: head, hour: hour, inserted: inserted) }
        if inserted { insertHour(slot: slot, stored: &cell.stored, Int32(truncatingIfNeeded: hour)) }
        recentMask[at >> 6] |= UInt64(1) << UInt64(at & 63)

        // The weekly ring's head is the week of the newest hour (both follow the newest occurrence).
        let week = ClusterTime.week(ofHour: hour)
        let wbase = s * Self.weeks
        let headWeek = ClusterTime.week(ofHour: head)
        if previous != Self.emptyWord {
            let wHead = ClusterTime.week(ofHour: Int64(previous))
            if week > wHead {
                // The weeks the ring's head moves over start afresh: their bits clear, and their
                // words are not touched (a place quiet for months wrote up to 64 of them).
                let gap = min(week - wHead, Int64(Self.weeks))
                cell.weeksWithCounts &= ~Self.positions(from: week - gap + 1, count: Int(gap))
            }
        }
        if headWeek - week < Int64(Self.weeks) {
            let p = Self.position(week, Self.weeks)
            let bit = UInt64(1) << UInt64(p)
            weekly[wbase + p] = cell.weeksWithCounts & bit != 0 ? weekly[wbase + p] &+ 1 : 1
            cell.weeksWithCounts |= bit
        }
        let cached = cell.baselineWeek
        if cached != Self.emptyWord, week >= Int64(cached) - Self.baselineFirst, week <= Int64(cached) - Self.baselineLast {
            baselines[at] = Self.noBaseline
            cell.baselineWeek = Self.cachedWeek(Self.noBaseline)
            cell.baselineSum = UInt32(truncatingIfNeeded: Self.noBaseline)
        }
        state[at] = cell
    }

    /// Keeps a cell's cached counts right as an occurrence at `hour` is about to be recorded (its
    /// newest hour now `head`, the hours the ring dropped gone, `stored` still without this one): a
    /// cache ending before `head` first moves to it, then the occurrence counts in the lengths it
    /// falls in.
    @inline(__always) private mutating func updateCache(cell: inout CellState, head: Int64, hour: Int64, inserted: Bool) {
        if Int64(cell.cacheEnd) < head {
            moveCache(slot: cell.slot, stored: cell.stored, to: head)
            cell.cacheEnd = Int32(truncatingIfNeeded: head)
        }
        guard inserted else { return }
        let end = Int64(cell.cacheEnd)
        let base = Int(cell.slot) * cacheStride
        let n = cachedLengths.count
        let h = Int32(truncatingIfNeeded: hour)
        cachedLengths.withUnsafeBufferPointer { lengths in
            countCache.withUnsafeMutableBufferPointer { cache in
                let counts = cache.baseAddress! + base
                for j in 0..<n where hour > end - lengths[j] {
                    counts[j] &+= 1
                    counts[n &+ j] = UInt32(bitPattern: min(Int32(bitPattern: counts[n &+ j]), h))
                }
            }
        }
    }

    /// Moves a slot's cached counts (valid: every recent hour at or before their end) to end at
    /// the later `endHour`: each length's first counted hour sits `count` places from the record's
    /// end, and the hours now at or before the length's start leave it. Only lengths whose bound of
    /// their first hour reaches the new start can lose one; when none can, the hours are not read.
    /// The caller sets the end.
    private mutating func moveCache(slot: Int32, stored: Int32, to endHour: Int64) {
        let n = cachedLengths.count
        let base = Int(slot) * cacheStride
        // Bit j set: length j's earliest counted hour may be at or before its new start.
        let leaving = cachedLengths.withUnsafeBufferPointer { lengths in
            countCache.withUnsafeBufferPointer { cache in
                var bits: UInt32 = 0
                for j in 0..<n where Int64(Int32(bitPattern: cache[base &+ n &+ j])) <= endHour &- lengths[j] {
                    bits |= UInt32(1) << UInt32(j)
                }
                return bits
            }
        }
        guard leaving != 0 else { return }
        @inline(__always) func move(_ hours: UnsafePointer<Int32>, _ stored: Int) {
            cachedLengths.withUnsafeBufferPointer { lengths in
                countCache.withUnsafeMutableBufferPointer { cache in
                    let counts = cache.baseAddress! + base
                    var left = leaving
                    while left != 0 {
                        let j = left.trailingZeroBitCount
                        left &= left &- 1
                        let start = endHour &- lengths[j]
                        // Hours the ring just dropped may have counted (the cache ended long
                        // before the new head): then every hour left counts, the first at place 0.
                        var p = stored &- Int(counts[j])
                        if p < 0 { p = 0 }
                        while p < stored, Int64(hours[p]) <= start { p &+= 1 }
                        counts[j] = UInt32(truncatingIfNeeded: stored &- p)
                        counts[n &+ j] = p < stored ? UInt32(bitPattern: hours[p]) : Self.noFirstHour
                    }
                }
            }
        }
        if stored == Self.spilled {
            let list = spill[slot]!
            list.withUnsafeBufferPointer { move($0.baseAddress!, $0.count) }
        } else {
            let first = Int(slot) * Self.inlineHours
            let all = records
            all.withUnsafeBufferPointer { move($0.baseAddress! + first, Int(stored)) }
        }
    }

    /// Writes a location's cached baseline word and mirrors it in the location's record.
    @inline(__always) private mutating func setBaseline(location at: Int, _ word: UInt64) {
        baselines[at] = word
        state[at].baselineWeek = Self.cachedWeek(word)
        state[at].baselineSum = UInt32(truncatingIfNeeded: word)
    }

    /// Occurrences of the slot with hour in (end − length, end].
    func count(slot: Int32, endHour: Int64, length: Int64) -> UInt32 {
        var out: [UInt32] = [0]
        addCounts(slot: slot, endHour: endHour, lengths: [length], into: &out, at: 0)
        return out[0]
    }

    /// Adds the slot's occurrences with hour in (end − lengths[j], end] to `out[at + j]` for
    /// every j; `lengths` ascending. One walk of the slot's recent hours for all lengths.
    func addCounts(slot: Int32, endHour: Int64, lengths: [Int64], into out: inout [UInt32], at: Int) {
        out.withUnsafeMutableBufferPointer { buffer in
            addCounts(location: index.location(ofSlot: slot), endHour: endHour, lengths: lengths, into: buffer.baseAddress!, at: at)
        }
    }

    /// `addCounts(slot:…)` for the slot at index location `location` (from `beginDisc`/`discLocation`;
    /// nothing at a free location).
    /// A slot whose newest hour is at or before end − the longest length counts nothing in any
    /// cylinder, and one with a single recent hour holds its newest: neither record is read.
    @inline(__always)
    func addCounts(location: Int, endHour: Int64, lengths: [Int64], into out: UnsafeMutablePointer<UInt32>, at: Int) {
        let cell = state[location]
        guard cell.head != Self.emptyWord, cell.stored != 0 else { return }
        let head = Int64(cell.head)
        let n = lengths.count
        guard n > 0, head > endHour - lengths[n - 1] else { return }
        let oldest = head - Int64(hours) + 1
        @inline(__always) func clamp(_ x: Int64) -> Int64 { min(max(x, oldest), head) }
        let upper = clamp(endHour)
        @inline(__always) func tally(_ h: Int64) {
            guard h <= upper else { return }
            // Lower bounds fall as lengths grow: the first length whose bound h exceeds, and all after it.
            var j = 0
            while j < n, h <= clamp(endHour - lengths[j]) { j += 1 }
            let row = out + at
            while j < n {
                row[j] &+= 1
                j &+= 1
            }
        }
        // The newest hour is always among the recent hours: a slot holding one is read no further.
        if cell.stored == 1 {
            tally(head)
            return
        }
        // More hours, ascending: walked newest first, an hour's first length only grows (its lower
        // bounds fall as lengths grow), so one pass over hours and lengths together counts them all
        // (a length gets the hours counted before the walk passed it), not one pass of the lengths
        // per hour: busy cells hold many recent hours.
        @inline(__always) func tallyNewestFirst(_ count: Int, _ hour: (Int) -> Int64) {
            let row = out + at
            var running: UInt32 = 0
            var j = 0
            var i = count - 1
            while i >= 0 {
                let h = hour(i)
                i -= 1
                guard h <= upper else { continue }
                while j < n, h <= clamp(endHour - lengths[j]) {
                    row[j] &+= running
                    j &+= 1
                }
                if j == n { return }
                running &+= 1
            }
            while j < n {
                row[j] &+= running
                j &+= 1
            }
        }
        let slot = cell.slot
        if cell.stored == Self.spilled {
            let list = spill[slot]!
            tallyNewestFirst(list.count) { Int64(list[$0]) }
        } else {
            let base = Int(slot) * Self.inlineHours
            tallyNewestFirst(Int(cell.stored)) { Int64(records[base + $0]) }
        }
    }

    /// The tile window of the last `beginDisc` (`ScanSlotIndex`'s): its first `count` of `tiles`.
    var window: (wraps: Bool, x: Int32, y: Int32, height: Int, tiles: [Int32], count: Int) {
        (index.windowWraps, index.windowX, index.windowY, index.windowHeight, index.windowTiles, index.windowTileCount)
    }

    /// The cells of tile `tile` (a window tile) that may hold an occurrence an evaluation ending at
    /// `endHour` counts, one bit per position (all of them when the masks cannot say).
    @inline(__always) func recentBits(tile: Int32, endHour: Int64) -> UInt64 {
        endHour < recentFloor ? ~0 : recentMask[Int(tile)]
    }

    /// Whether the location may hold an occurrence an evaluation ending at `endHour` counts: false
    /// only when its cell's newest hour is known to be at least the longest cylinder behind.
    @inline(__always) func mayCount(location: Int, endHour: Int64) -> Bool {
        endHour < recentFloor || recentMask[location >> 6] & (UInt64(1) << UInt64(location & 63)) != 0
    }

    /// `addCounts(location:…)` for a location `mayCount` let through; when its newest hour is so far
    /// behind `endHour` that it counts nothing (with a margin of the lateness, so that the
    /// evaluations of late incidents rarely read every cell), clears its bit. With lengths equal to
    /// `cachedLengths`, a busy slot's counts come through its cache.
    @inline(__always)
    mutating func addRecentCounts(location: Int, endHour: Int64, lengths: [Int64], into out: UnsafeMutablePointer<UInt32>, at: Int) {
        precondition(location >= 0 && location < state.count)
        let cell = state.withUnsafeBufferPointer { $0[location] }
        let head = cell.head
        if head == Self.emptyWord || Int64(head) + Int64(hours) <= endHour {
            recentMask[location >> 6] &= ~(UInt64(1) << UInt64(location & 63))
            if head != Self.emptyWord { recentFloor = max(recentFloor, Int64(head) + longest) }
            return
        }
        if cacheStride > 0, cell.stored >= Self.cachedFromHours || cell.stored == Self.spilled, Int64(head) <= endHour {
            assert(lengths == cachedLengths)
            addCachedCounts(location: location, cell: cell, endHour: endHour, into: out, at: at)
            return
        }
        if let lanes = laneLengths, cell.stored > 0, cell.stored < Self.cachedFromHours {
            assert(lengths == cachedLengths)
            if addLaneCounts(cell: cell, endHour: endHour, lanes: lanes, into: out + at) { return }
        }
        addCounts(location: location, endHour: endHour, lengths: lengths, into: out, at: at)
    }

    /// `addCounts(location:…)` with the cached lengths, as vector lanes, for a cell whose record
    /// holds its 1–3 recent hours (`stored`, not spilled): false (nothing added) only when the
    /// hours' arithmetic would leave 32 bits. The same counts as the scalar walk: an hour counts
    /// in length j when it is at most min(end, newest) and after clamp(end − length j), clamp
    /// bounding by the ring's oldest and newest hours. With end below the ring's oldest hour,
    /// end and the oldest hour give the same clamps, so the end is raised to it, which keeps
    /// every difference in range.
    @inline(__always)
    private func addLaneCounts(cell: CellState, endHour: Int64, lanes: SIMD8<Int32>, into row: UnsafeMutablePointer<UInt32>) -> Bool {
        let newest = cell.head
        let head = Int64(newest)
        guard head > endHour - longestCached else { return true }
        let oldest = head - Int64(hours) + 1
        let end = max(endHour, oldest)
        guard end <= Int64(Int32.max), end - longestCached >= Int64(Int32.min) else { return false }
        let end32 = Int32(truncatingIfNeeded: end)
        let lower = (SIMD8(repeating: end32) &- lanes).clamped(
            lowerBound: SIMD8(repeating: Int32(truncatingIfNeeded: oldest)), upperBound: SIMD8(repeating: newest))
        let upper = min(end32, newest)
        var counts = SIMD8<Int32>()
        // lower − h is negative exactly where the hour counts (both lie in the ring, so the
        // difference cannot overflow), and its sign shifted down is −1 there, 0 elsewhere:
        // subtracting adds one. (Arithmetic, not `.<`, which compiles to a loop over the lanes.)
        if cell.stored == 1 {
            if newest <= upper { counts &-= (lower &- SIMD8(repeating: newest)) &>> 31 }
        } else {
            records.withUnsafeBufferPointer { all in
                let first = all.baseAddress! + Int(cell.slot) &* Self.inlineHours
                for i in 0..<Int(cell.stored) {
                    let h = first[i]
                    if h <= upper { counts &-= (lower &- SIMD8(repeating: h)) &>> 31 }
                }
            }
        }
        Self.add(SIMD8<UInt32>(truncatingIfNeeded: counts), count: cachedLengths.count, to: row)
        return true
    }

    /// Adds the first `count` (at most 8) lanes of `lanes` to `row[0..<count]`: all eight as one
    /// vector when there are eight.
    @inline(__always) private static func add(_ lanes: SIMD8<UInt32>, count: Int, to row: UnsafeMutablePointer<UInt32>) {
        if count == 8 {
            let raw = UnsafeMutableRawPointer(row)
            raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<UInt32>.self) &+ lanes, as: SIMD8<UInt32>.self)
        } else {
            for j in 0..<count { row[j] &+= lanes[j] }
        }
    }

    /// `addRecentCounts(location:…)` for the live `slot`, into an array (tests).
    mutating func addRecentCounts(slot: Int32, endHour: Int64, lengths: [Int64], into out: inout [UInt32], at: Int) {
        let location = index.location(ofSlot: slot)
        out.withUnsafeMutableBufferPointer { buffer in
            addRecentCounts(location: location, endHour: endHour, lengths: lengths, into: buffer.baseAddress!, at: at)
        }
    }

    /// The cached lengths' counts of the slot at `location` (newest hour at or before `endHour`)
    /// added to `out[at + j]`: from its cache when that ends at `endHour`, moved forward when it
    /// ends earlier, counted afresh otherwise; the cache then ends at `endHour`.
    private mutating func addCachedCounts(location: Int, cell: CellState, endHour: Int64, into out: UnsafeMutablePointer<UInt32>, at: Int) {
        let n = cachedLengths.count
        let base = Int(cell.slot) * cacheStride
        let end = Int64(cell.cacheEnd)
        if cell.cacheEnd == Self.emptyWord || end > endHour || end < Int64(cell.head) {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { fresh in
                fresh.initialize(repeating: 0)
                addCounts(location: location, endHour: endHour, lengths: cachedLengths, into: fresh.baseAddress!, at: 0)
                for j in 0..<n {
                    countCache[base + j] = fresh[j]
                    // Not looked up: a length with hours is walked at its next move, which sets it.
                    countCache[base + n + j] = fresh[j] == 0 ? Self.noFirstHour : UInt32(bitPattern: Int32.min)
                }
            }
            state[location].cacheEnd = Int32(truncatingIfNeeded: endHour)
        } else if end < endHour {
            moveCache(slot: cell.slot, stored: cell.stored, to: endHour)
            state[location].cacheEnd = Int32(truncatingIfNeeded: endHour)
        }
        countCache.withUnsafeBufferPointer { cache in
            if n == 8 {
                Self.add(UnsafeRawPointer(cache.baseAddress! + base).loadUnaligned(as: SIMD8<UInt32>.self), count: 8, to: out + at)
            } else {
                for j in 0..<n { out[at &+ j] &+= cache[base &+ j] }
            }
        }
    }

    /// Prepares `discLocation` for the cells within `radius` (Chebyshev) of `centre` in `layer`.
    @inline(__always) mutating func beginDisc(centre: GridCell, radius: Int, layer: UInt16) {
        index.beginWindow(centre: centre, radius: Int32(radius), layer: layer)
    }

    /// The index location `cell` has (a cell of the last `beginDisc`'s square), -1 when its tile
    /// has none; a location without a slot counts nothing and has a baseline of 0.
    @inline(__always) func discLocation(_ cell: GridCell) -> Int { index.windowLocation(cell) }

    /// Occurrences of the slot in the baseline weeks of current week `week` (week − 53 … week − 2).
    /// Cached per slot; a later week moves the cached sum by the weeks that entered and left,
    /// so a slot read every week costs two additions, not 52.
    mutating func baseline(slot: Int32, week: Int64) -> UInt32 {
        baseline(location: index.location(ofSlot: slot), week: week)
    }

    /// `baseline(slot:week:)` for the slot at index location `location` (0 at a free location).
    @inline(__always)
    mutating func baseline(location: Int, week: Int64) -> UInt32 {
        let word = baselines[location]
        if Int64(Self.cachedWeek(word)) == week, Self.cachedWeek(word) != Self.emptyWord { return UInt32(truncatingIfNeeded: word) }
        return moveBaseline(location: location, week: week)
    }

    /// `baseline(location:week:)` for a location whose record the caller reads anyway (a cell
    /// with recent occurrences): the record's mirror of the cached baseline, not its word.
    @inline(__always)
    mutating func recentBaseline(location: Int, week: Int64) -> UInt32 {
        let cell = state[location]
        if Int64(cell.baselineWeek) == week, cell.baselineWeek != Self.emptyWord { return cell.baselineSum }
        return moveBaseline(location: location, week: week)
    }

    @inline(__always) private static func cachedWeek(_ word: UInt64) -> Int32 { Int32(truncatingIfNeeded: word >> 32) }

    private mutating func moveBaseline(location: Int, week: Int64) -> UInt32 {
        let cell = state[location]
        var sum: UInt32 = 0
        let cachedWord = cell.baselineWeek
        if cell.slot != ScanSlotIndex.none, cell.head != Self.emptyWord {
            // The slot's newest week (the weekly ring's head) is the week of its newest hour.
            let head = ClusterTime.week(ofHour: Int64(cell.head))
            let s = Int(cell.slot)
            let mask = cell.weeksWithCounts
            let cached = Int64(cachedWord)
            if cachedWord != Self.emptyWord, week > cached, week - cached < 52,
                head <= cached - Self.baselineFirst + Int64(Self.weeks) - 1
            {
                // Weeks cached−1 … week−2 entered, cached−53 … week−54 left (all still in the ring:
                // its oldest week, head − 63, is at most cached − 53, so nothing the cached sum
                // counted has left it).
                sum = cell.baselineSum
                sum &+= weeksSum(s, from: cached - 1, through: week - Self.baselineLast, head: head, mask: mask)
                sum &-= weeksSum(s, from: cached - Self.baselineFirst, through: week - Self.baselineFirst - 1, head: head, mask: mask)
            } else {
                sum = weeksSum(s, from: week - Self.baselineFirst, through: week - Self.baselineLast, head: head, mask: mask)
            }
        }
        setBaseline(location: location, UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: week))) << 32 | UInt64(sum))
        return sum
    }

    /// The slot's occurrences in weeks `first` … `last` (weeks outside the ring count 0). Only the
    /// ring positions `mask` marks are read: the weeks' positions are consecutive modulo the ring,
    /// so they form one rotated run of bits, and its intersection with `mask` is walked bit by bit.
    @inline(__always) private func weeksSum(_ s: Int, from first: Int64, through last: Int64, head: Int64, mask: UInt64) -> UInt32 {
        let a = max(first, head - Int64(Self.weeks) + 1)
        let b = min(last, head)
        guard a <= b else { return 0 }
        var bits = Self.positions(from: a, count: Int(b - a + 1)) & mask
        var sum: UInt32 = 0
        let base = s * Self.weeks
        while bits != 0 {
            sum &+= weekly[base + bits.trailingZeroBitCount]
            bits &= bits - 1
        }
        return sum
    }

    /// Frees slots with no occurrence since before `week` (they no longer reach any baseline or
    /// cylinder). Returns how many were removed.
    mutating func expire(olderThanWeek week: Int64) -> Int {
        var removed = 0
        // By location, not by slot: the records are read in order (a slot's record is elsewhere);
        // only in tiles whose bound says a slot may be that old, each then bounded exactly again.
        for tile in oldestWeek.indices where Int64(oldestWeek[tile]) < week {
            var oldest = Int32.max
            for at in (tile * ScanSlotIndex.tileCells)..<((tile + 1) * ScanSlotIndex.tileCells) {
                let slot = state[at].slot
                let head = state[at].head
                guard slot != ScanSlotIndex.none, head != Self.emptyWord else { continue }
                let headWeek = ClusterTime.week(ofHour: Int64(head))
                guard headWeek < week else {
                    oldest = min(oldest, Int32(truncatingIfNeeded: headWeek))
                    continue
                }
                let s = Int(slot)
                state[at] = CellState()
                baselines[at] = Self.noBaseline
                recentMask[at >> 6] &= ~(UInt64(1) << UInt64(at & 63))
                index.remove(slot, cell: owner[s].cell, layer: owner[s].layer)
                spill[slot] = nil
                freeSlots.append(slot)
                removed += 1
            }
            oldestWeek[tile] = oldest
        }
        keyCount -= removed
        return removed
    }

    @inline(__always) static func position(_ index: Int64, _ size: Int) -> Int { Int(floorModulo(index, Int64(size))) }

    /// The weekly ring's positions of `count` (1 … `weeks`) consecutive weeks from `first`, as bits:
    /// consecutive modulo the ring, so one rotated run.
    @inline(__always) static func positions(from first: Int64, count n: Int) -> UInt64 {
        let run: UInt64 = n >= 64 ? ~0 : (UInt64(1) << UInt64(n)) - 1
        let p0 = position(first, weeks)
        let ring: UInt64 = weeks >= 64 ? ~0 : (UInt64(1) << UInt64(weeks)) - 1
        return (run << UInt64(p0) | (p0 == 0 ? 0 : run >> UInt64(weeks - p0))) & ring
    }

    // MARK: the slot's recent hours, ascending

    private mutating func insertHour(slot: Int32, stored count: inout Int32, _ hour: Int32) {
        let base = Int(slot) * Self.inlineHours
        let stored = Int(count)
        if count == Self.spilled {
            var list = spill.removeValue(forKey: slot)!
            list.insert(hour, at: list.firstIndex(where: { $0 > hour }) ?? list.count)
            spill[slot] = list
            return
        }
        if stored == Self.inlineHours {
            var list = Array(records[base..<(base + stored)])
            list.insert(hour, at: list.firstIndex(where: { $0 > hour }) ?? list.count)
            spill[slot] = list
            count = Self.spilled
            return
        }
        var i = base + stored
        while i > base, records[i - 1] > hour {
            records[i] = records[i - 1]
            i -= 1
        }
        records[i] = hour
        count = Int32(stored + 1)
    }

    /// Forgets hours ≤ `limit` (the ring moved past them); a spilled list that fits again moves back.
    /// `newest` is the slot's newest hour before this occurrence: every recent hour is at or before
    /// it, and a record of one hour holds exactly it, so when all of them go (newest ≤ limit) or
    /// the only one stays, the record is not read (most places see their next occurrence long
    /// after the last, and that read was a cache miss per occurrence).
    private mutating func dropHours(slot: Int32, stored count: inout Int32, throughHour limit: Int64, newest: Int64) {
        if count != Self.spilled {
            if count == 0 { return }
            if newest <= limit {
                count = 0
                return
            }
            if count == 1 { return }
        }
        let base = Int(slot) * Self.inlineHours
        if count == Self.spilled {
            var list = spill.removeValue(forKey: slot)!
            let keep = list.firstIndex(where: { Int64($0) > limit }) ?? list.count
            list.removeFirst(keep)
            if list.count <= Self.inlineHours / 2 {
                for (k, h) in list.enumerated() { records[base + k] = h }
                count = Int32(list.count)
            } else {
                spill[slot] = list
            }
            return
        }
        let stored = Int(count)
        var keep = 0
        while keep < stored, Int64(records[base + keep]) <= limit { keep += 1 }
        guard keep > 0 else { return }
        for k in 0..<(stored - keep) { records[base + k] = records[base + keep + k] }
        count = Int32(stored - keep)
    }
}
