/// An event-time sliding count over a fixed number of buckets, as a ring: O(1) add and query.
///
/// Semantics (exact, and what the pandas reference reproduces): with bucket width `r` and a window
/// of `w` buckets, `count(endingAt: b)` is the number of events whose bucket `floor(t / r)` lies in
/// `(b - w, b]`. The ring keeps `w + extra` buckets so events up to `extra` buckets behind the
/// newest one (allowed lateness) still land in the right bucket and windows ending there stay exact.
public struct RollingCount: Sendable, Equatable {
    private var ring: [UInt32]
    public let windowBuckets: Int
    /// The newest bucket index seen, or nil while empty.
    public private(set) var head: Int64?
    /// Events in `(head - windowBuckets, head]`.
    private var windowSum: Int = 0

    public init(windowBuckets: Int, extraBuckets: Int) {
        precondition(windowBuckets > 0 && extraBuckets >= 0)
        self.windowBuckets = windowBuckets
        ring = Array(repeating: 0, count: windowBuckets + extraBuckets)
    }

    private var capacity: Int { ring.count }

    @inline(__always) private func slot(_ bucket: Int64) -> Int {
        let m = Int(bucket % Int64(capacity))
        return m < 0 ? m + capacity : m
    }

    /// Whether `bucket` is still held (not older than the ring).
    public func holds(_ bucket: Int64) -> Bool {
        guard let head else { return true }
        return bucket > head - Int64(capacity)
    }

    /// Adds one event in `bucket`. Returns false (and changes nothing) if it is older than the ring.
    @discardableResult
    public mutating func add(bucket: Int64) -> Bool {
        guard let current = head else {
            head = bucket
            ring[slot(bucket)] = 1
            windowSum = 1
            return true
        }
        if bucket > current {
            advance(to: bucket)
        } else if bucket <= current - Int64(capacity) {
            return false
        }
        ring[slot(bucket)] &+= 1
        if bucket > head! - Int64(windowBuckets) { windowSum += 1 }
        return true
    }

    private mutating func advance(to bucket: Int64) {
        let current = head!
        if bucket - current >= Int64(capacity) {
            for i in ring.indices { ring[i] = 0 }
            windowSum = 0
            head = bucket
            return
        }
        var headSlot = slot(current)
        var leavingSlot = slot(current + 1 - Int64(windowBuckets))
        for _ in 0..<Int(bucket - current) {
            headSlot += 1
            if headSlot == capacity { headSlot = 0 }
            windowSum -= Int(ring[leavingSlot])
            leavingSlot += 1
            if leavingSlot == capacity { leavingSlot = 0 }
            ring[headSlot] = 0
        }
        head = bucket
    }

    /// Events in the window ending at bucket `end` (inclusive). Exact while `end` is within the
    /// ring's lateness margin; windows reaching past the ring see only what it still holds.
    public func count(endingAt end: Int64) -> Int {
        guard let head else { return 0 }
        if end == head { return windowSum }
        let w = Int64(windowBuckets)
        let oldest = head - Int64(capacity) + 1
        var lo = max(end - w + 1, oldest)
        let hi = min(end, head)
        guard lo <= hi else { return 0 }
        var sum = 0
        if hi - lo + 1 <= w {
            while lo <= hi { sum += Int(ring[slot(lo)]); lo += 1 }
        }
        return sum
    }

    /// Events in the window ending at the newest bucket.
    public var current: Int { windowSum }
}
