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
    private var counts: [UInt32] = []
    /// The bucket each counter currently belongs to: a counter whose tag differs from the bucket
    /// asked for is stale and reads as zero, so moving a window never has to clear buckets.
    private var tags: [Int64] = []
    private var heads: [Int64] = []
    private var sums: [Int32] = []
    /// Newest event time per slot (for idle expiry).
    private(set) var lastSeen: [Int64] = []
    private var slots: [UInt64: Int32] = [:]
    private var freeSlots: [Int32] = []
    /// Window length in buckets per spec.
    let windowBuckets: [Int64]
    /// Bucket and ring position per spec of the event time last added (see `add(slot:time:)`).
    private var memoTime = Int64.min
    private var memoBuckets: [Int64]
    private var memoPositions: [Int]

    static let empty = Int64.min

    public init(specs: [WindowSpec], allowedLateness: EventDuration) {
        precondition(!specs.isEmpty && specs.allSatisfy { $0.problem == nil }, "validated by configuration")
        self.specs = specs
        var capacities: [Int] = [], offsets: [Int] = []
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
        windowBuckets = specs.map { Int64($0.buckets) }
        memoBuckets = Array(repeating: 0, count: specs.count)
        memoPositions = Array(repeating: 0, count: specs.count)
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
            for i in base..<(base + stride) { counts[i] = 0; tags[i] = Self.empty }
            for k in 0..<specs.count { heads[Int(s) * specs.count + k] = Self.empty; sums[Int(s) * specs.count + k] = 0 }
            lastSeen[Int(s)] = Self.empty
        } else {
            s = Int32(lastSeen.count)
            counts.append(contentsOf: repeatElement(0, count: stride))
            tags.append(contentsOf: repeatElement(Self.empty, count: stride))
            heads.append(contentsOf: repeatElement(Self.empty, count: specs.count))
            sums.append(contentsOf: repeatElement(0, count: specs.count))
            lastSeen.append(Self.empty)
        }
        slots[key] = s
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
                let cap = Int64(capacities[k])
                var m = b % cap
                if m < 0 { m += cap }
                memoBuckets[k] = b
                memoPositions[k] = Int(m)
            }
        }
        let nSpecs = specs.count, stride = self.stride
        let base = s * stride
        memoBuckets.withUnsafeBufferPointer { buckets in
        memoPositions.withUnsafeBufferPointer { positions in
        windowBuckets.withUnsafeBufferPointer { windowBuckets in
        capacities.withUnsafeBufferPointer { capacities in
        offsets.withUnsafeBufferPointer { offsets in
        counts.withUnsafeMutableBufferPointer { counts in
        tags.withUnsafeMutableBufferPointer { tags in
        heads.withUnsafeMutableBufferPointer { heads in
        sums.withUnsafeMutableBufferPointer { sums in
            for k in 0..<nSpecs {
                let bucket = buckets[k]
                let hk = s * nSpecs + k
                let capacity = capacities[k]
                let w = windowBuckets[k]
                let ring = base + offsets[k]
                let head = heads[hk]
                if head == Self.empty {
                    heads[hk] = bucket
                    sums[hk] = 0
                } else if bucket > head {
                    // Move the window: subtract the buckets that leave it (at most w reads, no writes).
                    if bucket - head >= w {
                        sums[hk] = 0
                    } else {
                        var sum = sums[hk]
                        var leaving = head + 1 - w
                        // Ring position of `leaving`, from the memoised one of `bucket` (no division).
                        var slot = positions[k] - Int(bucket - leaving)
                        while slot < 0 { slot += capacity }
                        while leaving <= bucket - w {
                            if tags[ring + slot] == leaving { sum -= Int32(counts[ring + slot]) }
                            leaving += 1
                            slot += 1
                            if slot == capacity { slot = 0 }
                        }
                        sums[hk] = sum
                    }
                    heads[hk] = bucket
                } else if bucket <= head - Int64(capacity) {
                    continue  // older than the ring: the watermark keeps this from happening
                }
                let i = ring + positions[k]
                if tags[i] != bucket {
                    tags[i] = bucket
                    counts[i] = 0
                }
                counts[i] &+= 1
                if bucket > heads[hk] - w { sums[hk] += 1 }
            }
        }}}}}}}}}
    }

    @inline(__always) private func index(_ s: Int, _ k: Int, _ bucket: Int64) -> Int {
        let cap = Int64(capacities[k])
        var m = bucket % cap
        if m < 0 { m += cap }
        return s * stride + offsets[k] + Int(m)
    }

    /// The count of `bucket` if its counter still holds that bucket, else zero.
    @inline(__always) private func value(_ s: Int, _ k: Int, _ bucket: Int64) -> Int32 {
        let i = index(s, k, bucket)
        return tags[i] == bucket ? Int32(counts[i]) : 0
    }

    /// Events of `slot` in window `spec` ending at the bucket that contains `time`.
    public func count(slot: Int32, spec k: Int, at time: Timestamp) -> Int {
        count(slot: slot, spec: k, endingAt: specs[k].bucket(time))
    }

    public func count(slot: Int32, spec k: Int, endingAt end: Int64) -> Int {
        let s = Int(slot)
        let hk = s * specs.count + k
        let head = heads[hk]
        guard head != Self.empty else { return 0 }
        if end == head { return Int(sums[hk]) }
        let w = Int64(specs[k].buckets)
        let oldest = head - Int64(capacities[k]) + 1
        var lo = max(end - w + 1, oldest)
        let hi = min(end, head)
        guard lo <= hi else { return 0 }
        let base = s * stride + offsets[k]
        let capacity = capacities[k]
        var slot = index(s, k, lo) - base  // one modulo, then walk
        var total = 0
        while lo <= hi {
            if tags[base + slot] == lo { total += Int(counts[base + slot]) }
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
        for (key, s) in slots where lastSeen[Int(s)] < cutoff.milliseconds && !keep(key) {
            slots[key] = nil
            freeSlots.append(s)
            removed += 1
        }
        return removed
    }

    /// Every (key, slot) pair, in no particular order.
    public var entries: Dictionary<UInt64, Int32> { slots }
}
