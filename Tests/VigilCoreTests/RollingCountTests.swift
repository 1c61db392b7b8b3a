import Testing
@testable import VigilCore

/// The obviously-correct model: every accepted event's bucket, in a list.
private struct NaiveRollingCount {
    let windowBuckets: Int
    let capacity: Int
    var buckets: [Int64] = []
    var head: Int64? { buckets.max() }

    mutating func add(_ bucket: Int64) -> Bool {
        if let head, bucket <= head - Int64(capacity) { return false }
        buckets.append(bucket)
        return true
    }

    func count(endingAt end: Int64) -> Int {
        buckets.count(where: { $0 > end - Int64(windowBuckets) && $0 <= end })
    }
}

@Suite("RollingCount")
struct RollingCountTests {
    @Test("an empty counter counts nothing and holds everything")
    func empty() {
        let c = RollingCount(windowBuckets: 4, extraBuckets: 2)
        #expect(c.head == nil && c.current == 0 && c.count(endingAt: 0) == 0)
        #expect(c.holds(-1_000_000))
    }

    @Test("window (b - w, b]: a bucket leaves exactly w buckets later")
    func windowEdges() {
        var c = RollingCount(windowBuckets: 3, extraBuckets: 1)
        #expect(c.add(bucket: 10) == true)
        #expect(c.add(bucket: 10) == true)
        #expect(c.add(bucket: 12) == true)
        #expect(c.current == 3 && c.head == 12)
        #expect(c.count(endingAt: 11) == 2)
        #expect(c.count(endingAt: 13) == 1, "window (10, 13]")
        #expect(c.add(bucket: 13) == true)
        #expect(c.current == 2, "bucket 10 left the window")
        #expect(c.count(endingAt: 12) == 3, "window (9, 12] still exact from the extra bucket")
    }

    @Test("late events within the ring land in their bucket; older ones are refused")
    func lateEvents() {
        var c = RollingCount(windowBuckets: 3, extraBuckets: 2)  // capacity 5
        #expect(c.add(bucket: 100) == true)
        #expect(c.add(bucket: 98) == true)  // in window (97, 100]
        #expect(c.current == 2)
        #expect(c.add(bucket: 97) == true)  // in ring, outside the current window
        #expect(c.current == 2 && c.count(endingAt: 99) == 2 && c.count(endingAt: 98) == 2)
        #expect(c.add(bucket: 96) == true)  // oldest bucket the ring holds: 100 - 5 + 1
        #expect(!c.holds(95))
        #expect(c.add(bucket: 95) == false, "bucket <= head - capacity")
        #expect(c.count(endingAt: 98) == 3 && c.current == 2)
    }

    @Test("a jump of at least the capacity clears everything")
    func bigJump() {
        var c = RollingCount(windowBuckets: 3, extraBuckets: 2)
        for b: Int64 in [1, 2, 3, 3] { c.add(bucket: b) }
        #expect(c.add(bucket: 8) == true)
        #expect(c.current == 1 && c.count(endingAt: 7) == 0 && c.head == 8)
        #expect(c.add(bucket: 3) == false)
    }

    @Test("negative buckets work like positive ones")
    func negativeBuckets() {
        var c = RollingCount(windowBuckets: 2, extraBuckets: 1)
        #expect(c.add(bucket: -5) == true)
        #expect(c.add(bucket: -4) == true)
        #expect(c.current == 2)
        #expect(c.add(bucket: -3) == true)
        #expect(c.current == 2 && c.count(endingAt: -4) == 2)
    }

    /// Property: the ring agrees with the naive model on every query it promises to answer exactly.
    @Test("agrees with a naive model on random mostly-increasing sequences", arguments: 0..<8 as Range<UInt64>)
    func agreesWithModel(seed: UInt64) {
        var rng = SplitMix64(seed: 0xB0C4E7 &+ seed)
        for _ in 0..<25 {
            let w = Int.random(in: 1...30, using: &rng)
            let extra = Int.random(in: 0...6, using: &rng)
            let capacity = w + extra
            var ring = RollingCount(windowBuckets: w, extraBuckets: extra)
            var model = NaiveRollingCount(windowBuckets: w, capacity: capacity)
            var head = Int64.random(in: -1000...1000, using: &rng)
            for step in 0..<60 {
                let bucket: Int64
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<55: bucket = head + Int64.random(in: 0...3, using: &rng)  // moving forward
                case 55..<85: bucket = head - Int64.random(in: 0...Int64(extra), using: &rng)  // allowed lateness
                case 85..<92: bucket = head - Int64(capacity) + Int64.random(in: -2...2, using: &rng)  // the ring's edge
                case 92..<97: bucket = head + Int64(capacity) + Int64.random(in: 0...40, using: &rng)  // big jump
                default: bucket = head + Int64.random(in: 1...Int64(capacity), using: &rng)  // medium jump
                }
                let expectedAccept = model.add(bucket)
                #expect(ring.add(bucket: bucket) == expectedAccept, "w=\(w) extra=\(extra) step \(step): add(\(bucket)) head \(head)")
                head = model.head!
                #expect(ring.head == head)
                #expect(ring.current == model.count(endingAt: head), "w=\(w) extra=\(extra) step \(step)")
                for end in (head - Int64(extra))...(head + 2) {
                    #expect(ring.count(endingAt: end) == model.count(endingAt: end), "w=\(w) extra=\(extra) step \(step) end \(end) head \(head)")
                }
                for b in (head - Int64(capacity) - 2)...(head + 2) {
                    #expect(ring.holds(b) == (b > head - Int64(capacity)))
                }
            }
        }
    }

    @Test("many events in one bucket")
    func manyInOneBucket() {
        var c = RollingCount(windowBuckets: 1, extraBuckets: 0)
        for _ in 0..<10_000 { c.add(bucket: 7) }
        #expect(c.current == 10_000)
        c.add(bucket: 8)
        #expect(c.current == 1)
    }
}
