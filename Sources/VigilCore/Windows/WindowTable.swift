/// Multi-horizon sliding counts for many keys in flat arrays: one slot per key, no allocation per
/// key or per event once the table has grown, O(1) update and query per horizon.
///
/// Each slot holds, for every `WindowSpec`, a ring of `buckets + extra` counters (extra covers the
/// allowed lateness, so late-but-allowed events land in their own bucket and windows ending there
/// stay exact), the newest bucket seen and the running sum of the window ending at it.
public struct WindowTable: Sendable {
    public let specs: [WindowSpec]
    /// Ring size per spec, and the offset of each ring inside a slot's counters.
    let capacities: [Int]
    let offsets: [Int]
    let stride: Int
    /// One counter per bucket of every ring, with the bucket it currently belongs to (its tag): a
    /// counter whose tag differs from the bucket asked for is stale and reads as zero, so moving a
    /// window never has to clear buckets. Tag and count side by side: one cache line per bucket.
    struct Counter: Sendable {
        var tag: Int64
        var count: UInt32
    }
    /// Per slot and spec: the newest bucket seen and the running sum of the window ending at it.
    struct Head: Sendable {
        var bucket: Int64
        var sum: Int32
    }
    private var counters: [Counter] = []
    private var heads: [Head] = []
    /// Newest event time per slot (for idle expiry).
    private(set) var lastSeen: [Int64] = []
    private var slots = SlotMap()
    private var freeSlots: [Int32] = []
    /// Ring size, ring offset and window length in buckets per spec, for the hot path.
    struct Layout: Sendable {
        var capacity: Int
        var offset: Int
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
        var capacities: [Int] = []
        var offsets: [Int] = []
        var total = 0
        for spec in specs {
            let r = spec.resolution.milliseconds
            let extra = Int((allowedLateness.milliseconds + r - 1) / r) + 1
            offsets.append(total)
            capacities.append(spec.buckets + extra)
            total += spec.buckets + extra
        }
        self.capacities = capacities
        self.offsets = offsets
        stride = total
        layout = specs.indices.map { Layout(capacity: capacities[$0], offset: offsets[$0], windowBuckets: Int64(specs[$0].buckets)) }
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
            for i in base..<(base + stride) { counters[i] = Counter(tag: Self.empty, count: 0) }
            for k in 0..<specs.count { heads[Int(s) * specs.count + k] = Head(bucket: Self.empty, sum: 0) }
            lastSeen[Int(s)] = Self.empty
        } else {
            s = Int32(lastSeen.count)
            counters.append(contentsOf: repeatElement(Counter(tag: Self.empty, count: 0), count: stride))
            heads.append(contentsOf: repeatElement(Head(bucket: Self.empty, sum: 0), count: specs.count))
            lastSeen.append(Self.empty)
        }
        slots.set(key, s)
        return s
    }

    /// Counts one event at `time` in every horizon of `slot`.
    ///
    /// The hot path of the engine (three keys per incident): the bucket and ring position of each
    /// horizon are computed once per event time and reused for the incident's other keys, and the
    /// arrays are written through unsafe buffers (one uniqueness check per array, not per write).
    public mutating func add(slot: Int32, time: Timestamp) {
        let s = Int(slot)
        let t = time.milliseconds
        if t > lastSeen[s] { lastSeen[s] = t }
        if t != memoTime {
            memoTime = t
            for k in 0..<specs.count {
                let b = specs[k].bucket(time)
                memo[k] = Memo(bucket: b, position: Int(floorModulo(b, Int64(capacities[k]))))
            }
        }
        let nSpecs = specs.count
        let stride = self.stride
        let base = s * stride
        memo.withUnsafeBufferPointer { memo in
            layout.withUnsafeBufferPointer { layout in
                counters.withUnsafeMutableBufferPointer { counters in
                    heads.withUnsafeMutableBufferPointer { heads in
                        for k in 0..<nSpecs {
                            let bucket = memo[k].bucket
                            let hk = s * nSpecs + k
                            let capacity = layout[k].capacity
                            let w = layout[k].windowBuckets
                            let ring = base + layout[k].offset
                            let head = heads[hk].bucket
                            if head == Self.empty {
                                heads[hk] = Head(bucket: bucket, sum: 0)
                            } else if bucket > head {
                                // Move the window: subtract the buckets that leave it (at most w reads, no writes).
                                if bucket - head >= w {
                                    heads[hk].sum = 0
                                } else {
                                    var sum = heads[hk].sum
                                    var leaving = head + 1 - w
                                    // Ring position of `leaving`, from the memoised one of `bucket` (no division).
                                    var slot = memo[k].position - Int(bucket - leaving)
                                    while slot < 0 { slot += capacity }
                                    while leaving <= bucket - w {
                                        let counter = counters[ring + slot]
                                        if counter.tag == leaving { sum -= Int32(counter.count) }
                                        leaving += 1
                                        slot += 1
                                        if slot == capacity { slot = 0 }
                                    }
                                    heads[hk].sum = sum
                                }
                                heads[hk].bucket = bucket
                            } else if bucket <= head - Int64(capacity) {
                                continue  // older than the ring: the watermark keeps this from happening
                            }
                            let i = ring + memo[k].position
                            if counters[i].tag != bucket {
                                counters[i] = Counter(tag: bucket, count: 0)
                            }
                            counters[i].count &+= 1
                            if bucket > heads[hk].bucket - w { heads[hk].sum += 1 }
                        }
                    }
                }
            }
        }
    }

    @inline(__always) private func index(_ s: Int, _ k: Int, _ bucket: Int64) -> Int {
        s * stride + offsets[k] + Int(floorModulo(bucket, Int64(capacities[k])))
    }

    /// The count of `bucket` if its counter still holds that bucket, else zero.
    @inline(__always) private func value(_ s: Int, _ k: Int, _ bucket: Int64) -> Int32 {
        let i = index(s, k, bucket)
        return counters[i].tag == bucket ? Int32(counters[i].count) : 0
    }

    /// Events of `slot` in window `spec` ending at the bucket that contains `time`.
    public func count(slot: Int32, spec k: Int, at time: Timestamp) -> Int {
        count(slot: slot, spec: k, endingAt: specs[k].bucket(time))
    }

    public func count(slot: Int32, spec k: Int, endingAt end: Int64) -> Int {
        let s = Int(slot)
        let hk = s * specs.count + k
        let head = heads[hk].bucket
        guard head != Self.empty else { return 0 }
        if end == head { return Int(heads[hk].sum) }
        let w = Int64(specs[k].buckets)
        if end > head {
            // The window ending at `end` is the head's window less its first `end - head` buckets:
            // walk whichever side is shorter (an idle key costs nothing once `end - head >= w`).
            let d = end - head
            if d >= w { return 0 }
            if d < w - d {
                let base = s * stride + offsets[k]
                let capacity = capacities[k]
                var b = head - w + 1
                var slot = index(s, k, b) - base
                var total = Int(heads[hk].sum)
                while b <= end - w {
                    let counter = counters[base + slot]
                    if counter.tag == b { total -= Int(counter.count) }
                    b += 1
                    slot += 1
                    if slot == capacity { slot = 0 }
                }
                return total
            }
        }
        let oldest = head - Int64(capacities[k]) + 1
        var lo = max(end - w + 1, oldest)
        let hi = min(end, head)
        guard lo <= hi else { return 0 }
        let base = s * stride + offsets[k]
        let capacity = capacities[k]
        var slot = index(s, k, lo) - base  // one modulo, then walk
        var total = 0
        while lo <= hi {
            let counter = counters[base + slot]
            if counter.tag == lo { total += Int(counter.count) }
            lo += 1
            slot += 1
            if slot == capacity { slot = 0 }
        }
        return total
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
    /// buckets ending at `end` (zero where a counter no longer holds its bucket). Their sum is
    /// `count(slot:spec:endingAt:)`: the operator's page draws trends from the same counters as
    /// `/aggregates`.
    public func bucketCounts(slot: Int32, spec k: Int, endingAt end: Int64) -> [Int] {
        let w = Int64(specs[k].buckets)
        let s = Int(slot)
        let head = heads[s * specs.count + k].bucket
        return (0..<w).map { i in
            let b = end - w + 1 + i
            guard head != Self.empty, b <= head, b > head - Int64(capacities[k]) else { return 0 }
            return Int(value(s, k, b))
        }
    }
}
