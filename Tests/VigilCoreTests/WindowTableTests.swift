import Testing

@testable import VigilCore

@Suite("WindowSpec")
struct WindowSpecTests {
    @Test("bucket is floor(t / resolution), also before the epoch")
    func bucketFloors() {
        let spec = WindowSpec(horizon: .hours(24), resolution: .hours(1))
        #expect(spec.buckets == 24)
        #expect(spec.bucket(Timestamp(milliseconds: 0)) == 0)
        #expect(spec.bucket(Timestamp(milliseconds: 3_599_999)) == 0)
        #expect(spec.bucket(Timestamp(milliseconds: 3_600_000)) == 1)
        #expect(spec.bucket(Timestamp(milliseconds: -1)) == -1)
        #expect(spec.bucket(Timestamp(milliseconds: -3_600_000)) == -1)
        #expect(spec.bucket(Timestamp(milliseconds: -3_600_001)) == -2)
    }

    @Test("the defaults are 15m/1m, 1h/5m, 24h/1h, 7d/6h and 28d/1d, and all valid")
    func defaults() {
        #expect(WindowSpec.defaults.map(\.description) == ["15m/1m", "1h/5m", "1d/1h", "7d/6h", "28d/1d"])
        #expect(WindowSpec.defaults.map(\.buckets) == [15, 12, 24, 28, 28])
        #expect(WindowSpec.defaults.allSatisfy { $0.problem == nil })
    }

    @Test("parse reads horizon/resolution and round-trips the description")
    func parse() {
        #expect(WindowSpec.parse("24h/1h") == WindowSpec(horizon: .hours(24), resolution: .hours(1)))
        #expect(WindowSpec.parse("1h30m/15m") == WindowSpec(horizon: .minutes(90), resolution: .minutes(15)))
        for spec in WindowSpec.defaults { #expect(WindowSpec.parse(spec.description) == spec) }
        for bad in ["", "24h", "24h/", "/1h", "24h/1h/1m", "24x/1h", "24h 1h"] { #expect(WindowSpec.parse(bad) == nil, "\(bad)") }
    }

    @Test("problems: non-positive, not a whole multiple, too many buckets")
    func problems() {
        #expect(WindowSpec(horizon: .hours(1), resolution: EventDuration(milliseconds: 0)).problem != nil)
        #expect(WindowSpec(horizon: EventDuration(milliseconds: 0), resolution: .minutes(1)).problem != nil)
        #expect(WindowSpec(horizon: .hours(-1), resolution: .minutes(1)).problem != nil)
        #expect(WindowSpec(horizon: .minutes(90), resolution: .hours(1)).problem?.contains("whole multiple") == true)
        #expect(WindowSpec(horizon: EventDuration(milliseconds: 10_000), resolution: EventDuration(milliseconds: 1)).problem == nil)
        #expect(WindowSpec(horizon: EventDuration(milliseconds: 10_001), resolution: EventDuration(milliseconds: 1)).problem != nil)
    }
}

@Suite("WindowTable")
struct WindowTableTests {
    /// Several specs at once, including a one-bucket window and resolutions that do not divide an hour.
    static let specs =
        WindowSpec.defaults + [
            WindowSpec(horizon: .minutes(10), resolution: .minutes(10)),
            WindowSpec(horizon: .minutes(91), resolution: .minutes(7))
        ]

    /// The naive model: every accepted event time per key; a window ending at bucket `end` counts
    /// the events whose bucket lies in `(end - buckets, end]`.
    struct NaiveModel {
        /// Per key, per spec: events per bucket.
        var perSpec: [UInt64: [[Int64: Int]]] = [:]
        var newest: [UInt64: Timestamp] = [:]

        mutating func add(key: UInt64, time: Timestamp, specs: [WindowSpec]) {
            var buckets = perSpec[key] ?? Array(repeating: [:], count: specs.count)
            for (k, spec) in specs.enumerated() { buckets[k][spec.bucket(time), default: 0] += 1 }
            perSpec[key] = buckets
            newest[key] = max(newest[key] ?? time, time)
        }

        func count(key: UInt64, spec k: Int, specs: [WindowSpec], endingAt end: Int64) -> Int {
            guard let buckets = perSpec[key]?[k] else { return 0 }
            var total = 0
            for b in (end - Int64(specs[k].buckets) + 1)...end { total += buckets[b] ?? 0 }
            return total
        }

        /// As `count`, restricted to the buckets in `reach`.
        func count(key: UInt64, spec k: Int, specs: [WindowSpec], endingAt end: Int64, reaching reach: ClosedRange<Int64>) -> Int {
            guard let buckets = perSpec[key]?[k] else { return 0 }
            var total = 0
            for b in (end - Int64(specs[k].buckets) + 1)...end where reach.contains(b) { total += buckets[b] ?? 0 }
            return total
        }
    }

    /// Extra ring buckets the table keeps per spec for the allowed lateness: ceil(lateness / r) + 1.
    static func extra(_ spec: WindowSpec, lateness: EventDuration) -> Int64 {
        let r = spec.resolution.milliseconds
        return (lateness.milliseconds + r - 1) / r + 1
    }

    @Test(
        "counts match a naive model for every spec, for windows ending anywhere in the lateness margin",
        arguments: [(UInt64(1), Int64(20), false), (2, 60, false), (3, 7, false), (4, 0, false), (5, 20, true), (6, 60, true), (7, 0, true)]
    )
    func matchesNaiveModel(seed: UInt64, latenessMinutes: Int64, expiring: Bool) {
        let lateness = EventDuration.minutes(latenessMinutes)
        let specs = Self.specs
        var table = WindowTable(specs: specs, allowedLateness: lateness)
        var model = NaiveModel()
        var rng = SplitMix64(seed: seed)
        let keys: [UInt64] = (0..<4).map { AggregateKey.categoryCell(UInt16($0), GridCell(x: Int32($0) - 2, y: -7)) }
        // Start just before the epoch so negative buckets are crossed too.
        var newest = Int64.random(in: -2 * 86_400_000 ... -1, using: &rng)
        var jumps = 0
        var late = 0
        var reused = 0
        var mismatches = 0
        for step in 0..<(expiring ? 1500 : 600) {
            // With `expiring`, keys idle for a day are removed now and then, and their slots are
            // reused by the next new key: a reused slot must start from zero in every window,
            // whatever its old key left in the rings.
            if expiring && step % 25 == 0 {
                let cutoff = newest - 86_400_000
                reused += table.expire(olderThan: Timestamp(milliseconds: cutoff))
                for (key, time) in model.newest where time.milliseconds < cutoff {
                    model.newest[key] = nil
                    model.perSpec[key] = nil
                }
            }
            let roll = Int.random(in: 0..<100, using: &rng)
            let t: Int64
            if roll < 60 {
                newest += Int64.random(in: 0...300_000, using: &rng)  // up to 5 min forward
                t = newest
            } else if roll < 85 {
                t = newest - Int64.random(in: 0...lateness.milliseconds, using: &rng)  // late, within the margin
                late += 1
            } else if roll < 94 {
                newest += Int64.random(in: 3_600_000...(2 * 86_400_000), using: &rng)  // hours to days
                t = newest
            } else if roll < 97 {
                newest += Int64.random(in: 0...(10 * 86_400_000), using: &rng)
                t = newest
            } else {
                newest += Int64.random(in: (31 * 86_400_000)...(90 * 86_400_000), using: &rng)  // beyond every ring
                t = newest
                jumps += 1
            }
            let key = keys.randomElement(using: &rng)!
            let time = Timestamp(milliseconds: t)
            guard let slot = table.slot(for: key, admit: true) else {
                Issue.record("admit: true must give a slot")
                return
            }
            table.add(slot: slot, time: time)
            model.add(key: key, time: time, specs: specs)

            // Check the key that moved, and every 10 steps all keys (a slot must not disturb its
            // neighbours), at every end in [head - extra, head + 1].
            for checked in step % 10 == 0 ? keys : [key] {
                guard let newestOfKey = model.newest[checked] else {
                    #expect(table.slot(of: checked) == nil)
                    continue
                }
                let checkedSlot = table.slot(of: checked)!
                for (k, spec) in specs.enumerated() {
                    let head = spec.bucket(newestOfKey)
                    for end in (head - Self.extra(spec, lateness: lateness))...(head + 1) {
                        let got = table.count(slot: checkedSlot, spec: k, endingAt: end)
                        let want = model.count(key: checked, spec: k, specs: specs, endingAt: end)
                        if got != want {
                            mismatches += 1
                            if mismatches <= 5 {
                                Issue.record(
                                    "step \(step) key \(checked) spec \(spec) end \(end) (head \(head)): table \(got), model \(want)")
                            }
                        }
                    }
                    #expect(
                        table.count(slot: checkedSlot, spec: k, at: newestOfKey)
                            == model.count(key: checked, spec: k, specs: specs, endingAt: head))
                    // Every 10 steps, windows ending anywhere (the surge rule reads windows weeks back):
                    // exact where the ring reaches, (head - capacity, head], and zero beyond it.
                    if step % 10 == 0 {
                        let w = Int64(spec.buckets)
                        let capacity = w + Self.extra(spec, lateness: lateness)
                        for end in (head - capacity - w - 1)...(head + w + 1) {
                            let got = table.count(slot: checkedSlot, spec: k, endingAt: end)
                            let want = model.count(
                                key: checked, spec: k, specs: specs, endingAt: end, reaching: (head - capacity + 1)...head)
                            if got != want {
                                mismatches += 1
                                if mismatches <= 5 {
                                    Issue.record("step \(step) spec \(spec) end \(end) (head \(head)): \(got) != \(want)")
                                }
                            }
                        }
                        let end = head - Int64.random(in: 0...capacity, using: &rng)
                        let perBucket = table.bucketCounts(slot: checkedSlot, spec: k, endingAt: end)
                        let wantPerBucket = (0..<w).map {
                            let b = end - w + 1 + $0
                            return b > head - capacity ? model.count(key: checked, spec: k, specs: specs, endingAt: b, reaching: b...b) : 0
                        }
                        if perBucket != wantPerBucket {
                            mismatches += 1
                            Issue.record("step \(step) spec \(spec) bucketCounts ending \(end): \(perBucket) != \(wantPerBucket)")
                        }
                    }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(table.keyCount == model.newest.count)
        #expect(jumps > 0 && late > 0, "the sequence exercises jumps beyond the ring and late events")
        #expect(!expiring || reused > 20, "the sequence expires and reuses slots (\(reused))")
    }

    /// A new slot for `key` (admitted).
    static func admit(_ table: inout WindowTable, _ key: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int32 {
        let slot = table.slot(for: key, admit: true)
        return try #require(slot, sourceLocation: sourceLocation)
    }

    @Test("a window's bounds are exact to the millisecond: the next bucket's first instant is outside it")
    func boundsAtBucketEdges() throws {
        let specs = [WindowSpec(horizon: .hours(24), resolution: .hours(1)), WindowSpec(horizon: .hours(1), resolution: .minutes(5))]
        var table = WindowTable(specs: specs, allowedLateness: .hours(2))
        let slot = try Self.admit(&table, 7)
        let ten = Timestamp(milliseconds: 10 * 3_600_000)
        table.add(slot: slot, time: ten)  // 10:00:00.000, the first instant of its hour
        table.add(slot: slot, time: ten + .hours(1))  // 11:00:00.000, the next hour's first instant
        func counts(at time: Timestamp) -> [Int] { specs.indices.map { table.count(slot: slot, spec: $0, at: time) } }
        #expect(counts(at: ten + .minutes(30)) == [1, 1])
        #expect(counts(at: ten + .hours(1) - EventDuration(milliseconds: 1)) == [1, 1])
        #expect(counts(at: ten + .hours(1)) == [2, 1])
        #expect(counts(at: ten + .hours(24) - EventDuration(milliseconds: 1)) == [2, 0])
        #expect(counts(at: ten + .hours(24)) == [1, 0])
        #expect(counts(at: ten + .hours(25)) == [0, 0])
    }

    @Test("every slot keeps its counts while the table grows through many reallocations")
    func growthKeepsEverySlot() throws {
        var table = WindowTable(specs: WindowSpec.defaults, allowedLateness: .minutes(30))
        let t0 = Timestamp(milliseconds: 1_600_000_000_000)
        var slots: [Int32] = []
        for key in 0..<3_000 {
            let slot = try Self.admit(&table, UInt64(key))
            // Key k has k % 5 + 1 events, k minutes after t0.
            for _ in 0...(key % 5) { table.add(slot: slot, time: t0 + .minutes(Int64(key))) }
            slots.append(slot)
        }
        var wrong = 0
        for (key, slot) in slots.enumerated() {
            let at = t0 + .minutes(Int64(key))
            if table.lastSeen[Int(slot)] != at.milliseconds { wrong += 1 }
            if table.count(slot: slot, spec: 4, at: at) != key % 5 + 1 { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    @Test("an empty slot counts zero everywhere")
    func emptySlot() throws {
        var table = WindowTable(specs: WindowSpec.defaults, allowedLateness: .hours(1))
        let slot = try Self.admit(&table, 42)
        for k in WindowSpec.defaults.indices {
            #expect(table.count(slot: slot, spec: k, endingAt: 0) == 0)
            #expect(table.count(slot: slot, spec: k, at: Timestamp(milliseconds: 1_400_000_000_000)) == 0)
        }
    }

    @Test("slot(for:admit:) finds existing keys whatever admit says and creates new ones only when admitted")
    func admission() throws {
        var table = WindowTable(specs: WindowSpec.defaults, allowedLateness: .hours(1))
        #expect(table.slot(for: 1, admit: false) == nil && table.keyCount == 0)
        let s1 = try Self.admit(&table, 1)
        #expect(table.slot(for: 1, admit: false) == s1 && table.slot(of: 1) == s1)
        let s2 = try Self.admit(&table, 2)
        let entries = Dictionary(uniqueKeysWithValues: table.entries.map { ($0.key, $0.slot) })
        #expect(s1 != s2 && table.keyCount == 2 && entries == [1: s1, 2: s2])
        #expect(table.slot(of: 3) == nil)
    }

    @Test("a slot reused after expire starts from zero in every horizon")
    func slotReuseStartsFromZero() throws {
        let specs = WindowSpec.defaults
        var table = WindowTable(specs: specs, allowedLateness: .hours(1))
        let t0 = ts("2024-05-01T12:00:00Z")
        let old = try Self.admit(&table, 100)
        for k in 0..<50 { table.add(slot: old, time: t0 + .minutes(Int64(k))) }
        #expect(specs.indices.map { table.count(slot: old, spec: $0, at: t0 + .minutes(49)) } == [15, 50, 50, 50, 50])

        #expect(table.expire(olderThan: t0 + .hours(2)) == 1)
        #expect(table.slot(of: 100) == nil && table.keyCount == 0)

        // The new key gets the freed slot: every ring, head and sum must be fresh.
        let reused = try Self.admit(&table, 200)
        #expect(reused == old, "the freed slot is reused")
        for k in specs.indices {
            for end in (specs[k].bucket(t0) - 3)...(specs[k].bucket(t0 + .hours(1)) + 3) {
                #expect(table.count(slot: reused, spec: k, endingAt: end) == 0, "spec \(specs[k]) end \(end)")
            }
        }
        // One event in the same buckets as the old ones counts one, not 51; an older (late) one too.
        table.add(slot: reused, time: t0 + .minutes(30))
        table.add(slot: reused, time: t0 + .minutes(29))
        for k in specs.indices { #expect(table.count(slot: reused, spec: k, at: t0 + .minutes(30)) == 2, "spec \(specs[k])") }
        // Windows ending before the newest bucket read the ring itself: no leftovers of the old key.
        #expect(specs.indices.map { table.count(slot: reused, spec: $0, at: t0 + .minutes(29)) } == [1, 1, 2, 2, 2])
        #expect(specs.indices.map { table.count(slot: reused, spec: $0, at: t0 + .minutes(20)) } == [0, 0, 2, 2, 2])
        // And expiry no longer sees the old key's event time in the reused slot.
        #expect(table.expire(olderThan: t0 + .minutes(30)) == 0)
        #expect(table.expire(olderThan: t0 + .minutes(31)) == 1)
        // The old key, admitted again, is new too.
        let again = try Self.admit(&table, 100)
        for k in specs.indices { #expect(table.count(slot: again, spec: k, at: t0 + .minutes(30)) == 0) }
        // A new key has no newest bucket yet: even a first event long before the previous
        // occupant's counts lands (the ring must not still be anchored at the old head).
        #expect(table.expire(olderThan: t0 + .days(1)) == 1)
        let earlier = try Self.admit(&table, 300)
        table.add(slot: earlier, time: t0 - .days(40))
        for k in specs.indices { #expect(table.count(slot: earlier, spec: k, at: t0 - .days(40)) == 1, "spec \(specs[k])") }
    }

    @Test("expire removes keys whose newest event is strictly older than the cutoff, unless keep vetoes it")
    func expireKeepVeto() throws {
        var table = WindowTable(specs: WindowSpec.defaults, allowedLateness: .hours(1))
        let t0 = ts("2024-05-01T00:00:00Z")
        for key in UInt64(1)...5 {
            let slot = try Self.admit(&table, key)
            table.add(slot: slot, time: t0 + .hours(Int64(key)))
            table.add(slot: slot, time: t0)  // late event: does not lower the key's newest time
        }
        var asked: [UInt64] = []
        // Cutoff at key 4's newest event: keys 1…3 are older, 4 (equal) and 5 are not.
        let removed = table.expire(olderThan: t0 + .hours(4)) { key in
            asked.append(key)
            return key == 2
        }
        #expect(removed == 2)
        #expect(asked.sorted() == [1, 2, 3], "keep is asked only about candidates")
        #expect(table.slot(of: 1) == nil && table.slot(of: 3) == nil)
        let kept = try #require(table.slot(of: 2))
        #expect(table.count(slot: kept, spec: 2, at: t0 + .hours(2)) == 2, "a vetoed key keeps its counts")
        #expect(table.slot(of: 4) != nil && table.slot(of: 5) != nil && table.keyCount == 3)
        #expect(table.expire(olderThan: t0) == 0)
    }
}
