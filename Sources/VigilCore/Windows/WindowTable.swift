/// Multi-horizon sliding counts for many keys in flat arrays: one slot per key, no allocation per
/// key or per event once the table has grown, O(1) update and query per horizon.
///
/// Each slot holds, for every `WindowSpec`, a ring of cumulative counts: `cum(x)` is the number of
/// events counted with bucket ≤ x, kept for the `capacity + 1` buckets x in `[head - capacity, head]`,
/// where `head` is the newest bucket seen and `capacity = buckets + extra` (extra covers the allowed
/// lateness, so late-but-allowed events land in their own bucket and windows ending there stay
/// exact). A window is then one subtraction, `cum(hi) - cum(lo)`, whatever its length or end: the
/// features read 19 slots × 5 horizons per incident, and the surge rule reads windows a week apart.
/// Counts are 4 bytes with no bucket tags (the ring position of x is fixed by the head), a quarter
/// of a tagged counter, which is most of the engine's memory.
public struct WindowTable: Sendable {
    public let specs: [WindowSpec]
    /// Counts per slot: the rings of every spec side by side (`layout` places them).
    let stride: Int
    /// Per slot and spec: the newest bucket seen, the running total (`cum(head)`, so a window ending
    /// at or after the head reads one ring entry) and the ring position of the head bucket (so every
    /// other position is found by subtraction, without a division).
    struct Head: Sendable {
        var bucket: Int64
        var total: UInt32
        var position: Int32
    }
    /// Cumulative counts, wrapping at 2^32: differences of at most 2^32 - 1 events stay exact.
    private var cumulative: [UInt32] = []
    private var heads: [Head] = []
    /// Newest event time per slot (for idle expiry).
    private(set) var lastSeen: [Int64] = []
    private var slots = SlotMap<Int32>()
    private var freeSlots: [Int32] = []
    /// Per spec: ring length (`capacity + 1` cumulative counts), the ring's offset inside a slot,
    /// its reach (`capacity`, in buckets behind the head) and the window length in buckets.
    struct Layout: Sendable {
        var length: Int
        var offset: Int
        var reach: Int64
        var windowBuckets: Int64
    }
    let layout: [Layout]
    /// Bucket and ring position per spec of the event time last added (see `add(slot:time:)`).
    struct Memo: Sendable {
        var bucket: Int64
        var position: Int
    }
    private var memoTime = Int64.min
    private var memo: [Memo]

    static let empty = Int64.min

    public init(specs: [WindowSpec], allowedLateness: EventDuration) {
        precondition(!specs.isEmpty && specs.allSatisfy { $0.problem == nil }, "validated by configuration")
        self.specs = specs
        var lengths: [Int] = []
        var offsets: [Int] = []
        var total = 0
        for spec in specs {
            let r = spec.resolution.milliseconds
            let extra = Int((allowedLateness.milliseconds + r - 1) / r) + 1
            offsets.append(total)
            lengths.append(spec.buckets + extra + 1)
            total += spec.buckets + extra + 1
        }
        stride = total
        layout = specs.indices.map {
            Layout(length: lengths[$0], offset: offsets[$0], reach: Int64(lengths[$0] - 1), windowBuckets: Int64(specs[$0].buckets))
        }
        memo = Array(repeating: Memo(bucket: 0, position: 0), count: specs.count)
    }

    public var keyCount: Int { slots.count }

    public func slot(of key: UInt64) -> Int32? { slots[key] }

    /// The slot for `key`, creating it; nil when new and `admit` is false (cap reached).
    public mutating func slot(for key: UInt64, admit: Bool) -> Int32? {
        if let s = slots[key] { return s }
        guard admit else { return nil }
        let s: Int32
        if let reused = freeSlots.popLast() {
            s = reused
            let base = Int(s) * stride
            // Cleared as two fills (a write per element through the array cost about twice as much).
            cumulative.withUnsafeMutableBufferPointer {
                UnsafeMutableBufferPointer(rebasing: $0[base..<(base + stride)]).update(repeating: 0)
            }
            let first = Int(s) * specs.count
            heads.withUnsafeMutableBufferPointer {
                UnsafeMutableBufferPointer(rebasing: $0[first..<(first + specs.count)]).update(
                    repeating: Head(bucket: Self.empty, total: 0, position: 0))
            }
            lastSeen[Int(s)] = Self.empty
        } else {
            s = Int32(lastSeen.count)
            cumulative.append(repeating: 0, count: stride)
            heads.append(repeating: Head(bucket: Self.empty, total: 0, position: 0), count: specs.count)
            lastSeen.append(Self.empty)
        }
        slots.set(key, s)
        return s
    }

    /// Computes the bucket and ring position of `time` in every window once (divisions), for
    /// `add` and `bucket(spec:at:)`: the engine prepares an incident's time before reading its
    /// features, and then counts it in three keys at the same time.
    @inline(__always) public mutating func prepare(_ time: Timestamp) {
        let t = time.milliseconds
        guard t != memoTime else { return }
        memoTime = t
        for k in 0..<specs.count {
            let b = specs[k].bucket(time)
            memo[k] = Memo(bucket: b, position: Int(floorModulo(b, Int64(layout[k].length))))
        }
    }

    /// The bucket of `time` in window `k`, without a division when `prepare` saw that time.
    @inline(__always) public func bucket(spec k: Int, at time: Timestamp) -> Int64 {
        time.milliseconds == memoTime ? memo[k].bucket : specs[k].bucket(time)
    }

    /// Counts one event at `time` in every horizon of `slot`.
    ///
    /// The hot path of the engine (three keys per incident): the bucket and ring position of each
    /// horizon are computed once per event time and reused for the incident's other keys, and the
    /// arrays are written through unsafe buffers (one uniqueness check per array, not per write).
    /// An event at the head writes one count; moving the head copies the total into the buckets it
    /// skips (at most the ring); a late event adds one to each cumulative count from its bucket to
    /// the head (at most the lateness margin).
    public mutating func add(slot: Int32, time: Timestamp) {
        let s = Int(slot)
        let t = time.milliseconds
        if t > lastSeen[s] { lastSeen[s] = t }
        prepare(time)
        let nSpecs = specs.count
        let base = s * stride
        // What the loop reads of `memo` and `layout`, copied to the stack first: reading those
        // arrays inside the closures that mutate `cumulative` and `heads` made the compiler retain
        // and release both on every call (four calls per incident, atomic operations).
        withUnsafeTemporaryAllocation(of: Step.self, capacity: nSpecs) { steps in
            for k in 0..<nSpecs {
                let l = layout[k]
                steps.initializeElement(
                    at: k, to: Step(bucket: memo[k].bucket, position: memo[k].position, length: l.length, offset: l.offset, reach: l.reach))
            }
            cumulative.withUnsafeMutableBufferPointer { cumulative in
                heads.withUnsafeMutableBufferPointer { heads in
                    for k in 0..<nSpecs {
                        let step = steps[k]
                        let bucket = step.bucket
                        let position = step.position
                        let hk = s * nSpecs + k
                        let length = step.length
                        let ring = base + step.offset
                        var head = heads[hk]
                        if head.bucket == Self.empty || bucket > head.bucket {
                            // Move the head: the skipped buckets (and the new one, before this
                            // event) hold the old total. A new slot's ring is all zeros already.
                            // Written as at most two runs (the ring wraps once), like a memset: a
                            // quiet key's move writes most of its ring, one entry at a time before.
                            if head.bucket != Self.empty {
                                let d = bucket - head.bucket
                                let start = cumulative.baseAddress! + ring
                                if d >= Int64(length) {
                                    start.update(repeating: head.total, count: length)
                                } else {
                                    let first = Int(head.position) + 1
                                    let run = min(Int(d), length - first)
                                    (start + first).update(repeating: head.total, count: run)
                                    if run < Int(d) { start.update(repeating: head.total, count: Int(d) - run) }
                                }
                            }
                            head.bucket = bucket
                            head.position = Int32(position)
                            head.total &+= 1
                            cumulative[ring + position] = head.total
                            heads[hk] = head
                        } else if bucket == head.bucket {
                            head.total &+= 1
                            cumulative[ring + position] = head.total
                            heads[hk].total = head.total
                        } else if bucket > head.bucket - step.reach {
                            // Late: every cumulative count from its bucket to the head grows by one.
                            var p = position
                            let n = Int(head.bucket - bucket)
                            for _ in 0...n {
                                cumulative[ring + p] &+= 1
                                p += 1
                                if p == length { p = 0 }
                            }
                            heads[hk].total = head.total &+ 1
                        }
                        // else older than the ring: the watermark keeps this from happening
                    }
                }
            }
        }
    }

    /// One window's part of `add`: the event's bucket and ring position, and the ring's shape.
    private struct Step {
        var bucket: Int64
        var position: Int
        var length: Int
        var offset: Int
        var reach: Int64
    }

    /// The first millisecond of window `k` ending at bucket `end`: an event before it has a bucket
    /// at or before `end - buckets`, outside the window (Int64.min when that overflows).
    @inline(__always) func windowStart(spec k: Int, endingAt end: Int64) -> Int64 {
        let (last, o1) = end.subtractingReportingOverflow(layout[k].windowBuckets)
        let (first, o2) = last.addingReportingOverflow(1)
        let (start, o3) = first.multipliedReportingOverflow(by: specs[k].resolution.milliseconds)
        return o1 || o2 || o3 ? Int64.min : start
    }

    /// Events of `slot` in window `spec` ending at the bucket that contains `time`.
    public func count(slot: Int32, spec k: Int, at time: Timestamp) -> Int {
        count(slot: slot, spec: k, endingAt: specs[k].bucket(time))
    }

    /// Events of `slot` in window `spec` ending at bucket `end`: the events whose bucket lies in
    /// `(end - buckets, end]`, as far as the ring still reaches (`(head - capacity, head]`).
    @inline(__always)
    public func count(slot: Int32, spec k: Int, endingAt end: Int64) -> Int {
        count(slot: slot, spec: k, buckets: layout[k].windowBuckets, endingAt: end)
    }

    /// Events of `slot` with bucket in `(end - buckets, end]` (as far as the ring reaches).
    @inline(__always)
    func count(slot: Int32, spec k: Int, buckets: Int64, endingAt end: Int64) -> Int {
        withCountReader { $0.count(slot: slot, spec: k, buckets: buckets, endingAt: end) }
    }

    /// Reads counts and newest times through the table's memory (see `withCountReader`).
    struct CountReader {
        fileprivate let heads: UnsafeBufferPointer<Head>
        fileprivate let cumulative: UnsafeBufferPointer<UInt32>
        fileprivate let layout: UnsafeBufferPointer<Layout>
        fileprivate let lastSeen: UnsafeBufferPointer<Int64>
        fileprivate let specCount: Int
        fileprivate let stride: Int

        /// Events of `slot` in window `spec` ending at bucket `end` (`WindowTable.count(slot:spec:endingAt:)`).
        @inline(__always) func count(slot: Int32, spec k: Int, endingAt end: Int64) -> Int {
            count(slot: slot, spec: k, buckets: layout[k].windowBuckets, endingAt: end)
        }

        /// Events of `slot` with bucket in `(end - buckets, end]`, as far as the ring reaches
        /// (`(head - capacity, head]`): the difference of two cumulative counts.
        @inline(__always) func count(slot: Int32, spec k: Int, buckets: Int64, endingAt end: Int64) -> Int {
            let head = heads[Int(slot) &* specCount &+ k]
            guard head.bucket != WindowTable.empty else { return 0 }
            let l = layout[k]
            let hi = min(end, head.bucket)
            let lo = max(end &- buckets, head.bucket &- l.reach)
            guard hi > lo else { return 0 }
            let ring = Int(slot) &* stride &+ l.offset
            let upper = hi == head.bucket ? head.total : cumulative[ring &+ Self.position(of: hi, head: head, length: l.length)]
            let lower = cumulative[ring &+ Self.position(of: lo, head: head, length: l.length)]
            return Int(upper &- lower)
        }

        /// The newest event time counted in `slot`.
        @inline(__always) func lastSeen(_ slot: Int32) -> Int64 { lastSeen[Int(slot)] }

        /// Ring position of bucket `x` in `[head - capacity, head]`, from the head's (no division).
        @inline(__always) private static func position(of x: Int64, head: Head, length: Int) -> Int {
            let p = Int(head.position) &- Int(head.bucket &- x)
            return p < 0 ? p &+ length : p
        }
    }

    /// Runs `body` with a reader of the counts: the features read 19 slots × 5 windows per
    /// incident, and each count through the arrays checked the bounds of three of them.
    @inline(__always) func withCountReader<R>(_ body: (CountReader) throws -> R) rethrows -> R {
        try heads.withUnsafeBufferPointer { heads in
            try cumulative.withUnsafeBufferPointer { cumulative in
                try layout.withUnsafeBufferPointer { layout in
                    try lastSeen.withUnsafeBufferPointer { lastSeen in
                        try body(
                            CountReader(
                                heads: heads, cumulative: cumulative, layout: layout, lastSeen: lastSeen, specCount: specs.count,
                                stride: stride))
                    }
                }
            }
        }
    }

    /// Removes keys whose newest event is older than `cutoff` (their windows can no longer hold
    /// anything the watermark allows); `keep` vetoes removal. Returns how many were removed.
    public mutating func expire(olderThan cutoff: Timestamp, keep: (UInt64) -> Bool = { _ in false }) -> Int {
        var removed = 0
        for (key, s) in slots.pairs where lastSeen[Int(s)] < cutoff.milliseconds && !keep(key) {
            slots.remove(key)
            freeSlots.append(s)
            removed += 1
        }
        return removed
    }

    /// Every (key, slot) pair, in no particular order.
    public var entries: [(key: UInt64, slot: Int32)] { slots.pairs }
}

extension WindowTable {
    /// The per-bucket counts of `slot` in window `spec`, oldest first, for the `spec.buckets`
    /// buckets ending at `end` (zero where the ring no longer reaches). Their sum is
    /// `count(slot:spec:endingAt:)`: the operator's page draws trends from the same counts as
    /// `/aggregates`.
    public func bucketCounts(slot: Int32, spec k: Int, endingAt end: Int64) -> [Int] {
        let w = Int64(specs[k].buckets)
        return (0..<w).map { i in count(slot: slot, spec: k, buckets: 1, endingAt: end - w + 1 + i) }
    }
}
