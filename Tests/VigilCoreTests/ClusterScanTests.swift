import Testing

@testable import VigilCore

/// The emerging-cluster scan inside the engine: what becomes news, what does not, and the
/// lifecycle of a cluster's alerts.
@Suite struct ClusterScanTests {
    let factory = IncidentFactory()
    /// RI = e^(LLR − 14) days, so 365 days is LLR ≈ 19.9: a fixed test calibration, strict enough
    /// for the uniform background below (whose multiplicity the shipped calibration accounts for on
    /// the real stream), independent of the shipped constants.
    static let scan = ClusterScanConfiguration(
        calibrations: ClusterScanConfiguration.uniform(RecurrenceCalibration(a: -14, b: 1)), minRecurrenceDays: 365)
    /// The same with repeats at one point within 24 h counted once (`clusters.repeat_window`).
    static let repeating = ClusterScanConfiguration(
        calibrations: ClusterScanConfiguration.uniform(RecurrenceCalibration(a: -14, b: 1)), minRecurrenceDays: 365, repeatWindowHours: 24)
    static let quiet = GridCell(x: 100, y: 20)
    static let busy = GridCell(x: 60, y: 60)
    static let start = ts("2019-01-07T00:00:00Z")

    func engine(_ scan: ClusterScanConfiguration = Self.scan) -> IncidentEngine {
        IncidentEngine(
            configuration: EngineConfiguration(
                grid: factory.grid, countRule: nil, surgeRule: nil, hotspots: nil,
                clusters: scan, alertKinds: [.clusterEmerging, .clusterGrew, .clusterEnded]))
    }

    /// 60 weeks of city-wide background: one incident every 3 hours somewhere in a 40×40-cell area,
    /// and a chronic cell with about 8 Assaults a day.
    func background(_ engine: inout IncidentEngine, weeks: Int = 60) -> (alerts: [Alert], end: Timestamp) {
        let (incidents, end) = backgroundIncidents(weeks: weeks)
        return (incidents.flatMap { engine.process($0).alerts ?? [] }, end)
    }

    /// The background's incidents in order, and the hour after the last.
    func backgroundIncidents(weeks: Int = 60) -> (incidents: [Incident], end: Timestamp) {
        var rng = SplitMix64(seed: 7)
        var incidents: [Incident] = []
        let categories = ["Assault", "Break and Enter", "Auto Theft", "Robbery"]
        let hours = weeks * 168
        for h in 0..<hours {
            let t = Self.start + .hours(Int64(h))
            if h % 3 == 0 {
                let cell = GridCell(x: 40 + Int32(rng.next() % 40), y: 40 + Int32(rng.next() % 40))
                let category = categories[Int(rng.next() % 4)]
                incidents.append(factory.make("bg-\(h)", t, category: category, cell: cell))
            }
            if h % 3 == 1 {
                incidents.append(factory.make("busy-\(h)", t, category: "Assault", cell: Self.busy))
            }
        }
        return (incidents, Self.start + .hours(Int64(hours)))
    }

    @Test func burstAtQuietPlaceEmergesWithEvidenceAndSummary() {
        var e = engine()
        let (noise, end) = background(&e)
        #expect(noise.isEmpty, "uniform background raised \(noise.count) cluster alerts")
        var alerts: [Alert] = []
        for i in 0..<5 {
            alerts +=
                e.process(
                    factory.make(
                        "burst-\(i)", end + .minutes(Int64(20 * i)), category: "Robbery", cell: Self.quiet,
                        east: Double(i) * 30)
                ).alerts ?? []
        }
        let emerging = alerts.filter { $0.kind == .clusterEmerging }
        #expect(emerging.count == 1)
        guard let a = emerging.first, let c = a.cluster else { return }
        #expect(c.observed >= 3)
        #expect(c.recurrenceDays >= 365)
        #expect(c.expected < 0.5)
        #expect(a.cell == Self.quiet)
        #expect(a.summary.hasPrefix("emerging cluster: \(c.observed) "))
        #expect(a.summary.contains("by chance"))
        #expect(a.incidentIDs.allSatisfy { $0.hasPrefix("burst-") } && a.incidentIDs.count >= c.observed)
        #expect(a.windowEnd > a.windowStart)
    }

    @Test func repeatedRowsAtOnePointAreCountedOnceAndTheSummarySaysHowManyReports() {
        var e = engine(Self.repeating)
        let (_, end) = background(&e)
        var alerts: [Alert] = []
        // Two rows at each of four points, 20 minutes apart: the repeat rule counts each point once.
        for i in 0..<8 {
            alerts +=
                e.process(
                    factory.make(
                        "burst-\(i)", end + .minutes(Int64(20 * i)), category: "Robbery", cell: Self.quiet,
                        east: Double(i / 2) * 30)
                ).alerts ?? []
        }
        guard let a = alerts.first(where: { $0.kind == .clusterEmerging }), let c = a.cluster else {
            Issue.record("no cluster_emerging: \(alerts.map(\.summary))")
            return
        }
        let reports = c.categories.reduce(0) { $0 + $1.count }
        #expect(reports > c.observed, "\(reports) rows, \(c.observed) counted")
        #expect(c.observed <= (reports + 1) / 2)
        #expect(a.summary.hasPrefix("emerging cluster: \(c.observed) Robbery (\(reports) reports) within "), "\(a.summary)")
    }

    @Test func sameBurstAtChronicPlaceIsNotNews() {
        var e = engine()
        let (_, end) = background(&e)
        var alerts: [Alert] = []
        for i in 0..<5 {
            alerts +=
                e.process(factory.make("burst-\(i)", end + .minutes(Int64(20 * i)), category: "Assault", cell: Self.busy)).alerts ?? []
        }
        #expect(alerts.isEmpty, "\(alerts.map(\.summary))")
    }

    @Test func duplicateRowsAtOnePointAndTimeCountOnce() {
        var e = engine()
        let (_, end) = background(&e)
        var alerts: [Alert] = []
        for i in 0..<6 {
            alerts += e.process(factory.make("dup-\(i)", end, category: "Robbery", cell: Self.quiet)).alerts ?? []
        }
        #expect(alerts.isEmpty, "six rows of one occurrence raised \(alerts.map(\.summary))")
    }

    @Test func repeatsAtOnePointWithinTheWindowCountOnce() {
        var e = engine(Self.repeating)
        let (_, end) = background(&e)
        var alerts: [Alert] = []
        // One building broken into again and again over a day: one place, one occurrence.
        for i in 0..<6 {
            alerts +=
                e.process(factory.make("rep-\(i)", end + .hours(Int64(3 * i)), category: "Break and Enter", cell: Self.quiet)).alerts ?? []
        }
        #expect(alerts.isEmpty, "\(alerts.map(\.summary))")
        // Six more, spread over six points (after those: within the allowed lateness), are a burst.
        for i in 0..<6 {
            alerts +=
                e.process(
                    factory.make(
                        "spread-\(i)", end + .hours(Int64(16 + i)), category: "Break and Enter",
                        cell: Self.quiet, east: Double(i + 1) * 20)
                ).alerts ?? []
        }
        #expect(alerts.contains { $0.kind == .clusterEmerging })
    }

    @Test func noAlertsWithoutABaseline() {
        var e = engine()
        var alerts: [Alert] = []
        for i in 0..<8 {
            alerts +=
                e.process(
                    factory.make(
                        "early-\(i)", Self.start + .minutes(Int64(10 * i)), category: "Robbery", cell: Self.quiet,
                        east: Double(i) * 20)
                ).alerts ?? []
        }
        #expect(alerts.isEmpty)
    }

    @Test func lifecycleEmergingGrewEndedKeepsOneClusterID() {
        var e = engine()
        let (_, end) = background(&e, weeks: 58)
        var alerts: [Alert] = []
        var t = end
        for i in 0..<12 {
            alerts += e.process(factory.make("c-\(i)", t, category: "Break and Enter", cell: Self.quiet, east: Double(i) * 15)).alerts ?? []
            t = t + .minutes(45)
        }
        // Eight quiet days elsewhere: the cluster's cylinders age out and it ends.
        for h in 0..<(8 * 24) where h % 3 == 0 {
            alerts += e.process(factory.make("later-\(h)", t + .hours(Int64(h)), cell: Self.busy)).alerts ?? []
        }
        let kinds = alerts.map(\.kind)
        #expect(kinds.first == .clusterEmerging)
        #expect(kinds.contains(.clusterGrew))
        #expect(kinds.last == .clusterEnded)
        // The ended line says why a count far above its expectation is no longer news.
        if let ended = alerts.last, let c = ended.cluster {
            #expect(ended.summary.hasPrefix("cluster ended: Break and Enter near "), "\(ended.summary)")
            #expect(ended.summary.contains(" has faded (peaked at \(c.previousObserved ?? -1); "), "\(ended.summary)")
            #expect(
                c.observed == 0
                    ? ended.summary.hasSuffix("too few incidents left in any window)")
                    : ended.summary.contains("its strongest window now, \(c.observed) in ")
                        && ended.summary.contains(" is a level chance reaches somewhere in the city "), "\(ended.summary)")
        }
        #expect(Set(alerts.compactMap(\.cluster?.id)).count == 1)
        #expect(Set(alerts.map(\.id)).count == alerts.count, "alert ids must differ")
        if let grew = alerts.first(where: { $0.kind == .clusterGrew }), let first = alerts.first {
            #expect((grew.cluster?.observed ?? 0) >= 2 * (first.cluster?.observed ?? 0))
            #expect(grew.cluster?.previousObserved == first.cluster?.observed)
        }
    }

    @Test func sameInputSameAlertsAndIDs() {
        func run() -> [[UInt8]] {
            var e = engine()
            var (alerts, end) = background(&e, weeks: 56)
            for i in 0..<6 {
                alerts +=
                    e.process(
                        factory.make(
                            "b-\(i)", end + .minutes(Int64(15 * i)), category: "Robbery", cell: Self.quiet,
                            east: Double(i) * 25)
                    ).alerts ?? []
            }
            return alerts.map { AlertJSON.encode($0, detectedAt: nil) }
        }
        let a = run()
        let b = run()
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test func unpublishedKindsStayOffTheStream() {
        var e = IncidentEngine(configuration: EngineConfiguration(grid: factory.grid, clusters: Self.scan, alertKinds: [.clusterEmerging]))
        var kinds = Set<Alert.Kind>()
        for i in 0..<40 {
            kinds.formUnion((e.process(factory.make("n-\(i)", Self.start + .minutes(Int64(i)))).alerts ?? []).map(\.kind))
        }
        #expect(kinds.isSubset(of: [.clusterEmerging]))
        #expect(e.statistics.accepted == 40)
    }
}

/// The scan's per-slot counts against a brute-force count of the same occurrences.
@Suite struct ScanCountTableTests {
    /// Frees the table's keys with no occurrence since before `week` and the reference's alike
    /// (its hours per key), checking that the table freed exactly those; returns how many.
    @discardableResult
    static func expire(_ table: inout ScanCountTable, reference: inout [Int: [Int64]], olderThanWeek week: Int64) -> Int {
        let removed = table.expire(olderThanWeek: week)
        let before = reference.count
        reference = reference.filter { $0.value.contains { ClusterTime.week(ofHour: $0) >= week } }
        #expect(removed == before - reference.count)
        return removed
    }

    /// Many slots over several index tiles (negative coordinates included), busy places whose
    /// recent hours spill out of the record and come back, late occurrences, and expiry that
    /// frees slots and tiles: every count and baseline equals a brute-force count.
    @Test(arguments: [11, 12, 13] as [UInt64]) func manySlotsSpillsAndExpiryEqualBruteForce(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = ScanCountTable(longestHours: 168, latenessHours: 1)
        let lengths: [Int64] = [1, 3, 6, 12, 24, 72, 168]
        var hoursOf: [Int: [Int64]] = [:]  // key: cell index * 4 + layer
        var cells: [GridCell] = []
        while cells.count < 40 {
            let cell = GridCell(x: Int32(Int(rng.next() % 40) - 20), y: Int32(Int(rng.next() % 40) - 20))
            if !cells.contains(cell) { cells.append(cell) }
        }
        var head: Int64 = 10_000
        var spilled = 0
        for step in 0..<6_000 {
            head += rng.next() % 64 == 0 ? Int64(rng.next() % 30) : 0
            spilled = max(spilled, table.spilledSlots)
            // A few busy places get most occurrences, so their recent hours spill.
            let c = rng.next() % 4 == 0 ? Int(rng.next() % 40) : Int(rng.next() % 3)
            let layer = UInt16(rng.next() % 3)
            let hour = head - Int64(rng.next() % 2)
            let key = c * 4 + Int(layer)
            if let slot = table.slot(for: cells[c], layer: layer, admit: true) {
                table.add(slot: slot, hour: hour)
                hoursOf[key, default: []].append(hour)
            }
            if step % 997 == 0 {
                Self.expire(&table, reference: &hoursOf, olderThanWeek: ClusterTime.week(ofHour: head) - 3)
            }
            let probe = Int(rng.next() % 40) * 4 + Int(rng.next() % 3)
            let end = head - Int64(rng.next() % 2)
            let cell = cells[probe / 4]
            guard let slot = table.slot(cell, layer: UInt16(probe % 4)) else {
                #expect(hoursOf[probe] == nil)
                continue
            }
            let hours = hoursOf[probe] ?? []
            var out = [UInt32](repeating: 0, count: lengths.count + 1)
            table.addCounts(slot: slot, endHour: end, lengths: lengths, into: &out, at: 1)
            #expect(out[0] == 0)
            for (j, length) in lengths.enumerated() {
                #expect(Int(out[j + 1]) == hours.filter { $0 > end - length && $0 <= end }.count)
            }
            let week = ClusterTime.week(ofHour: head)
            #expect(
                Int(table.baseline(slot: slot, week: week))
                    == hours.filter {
                        let w = ClusterTime.week(ofHour: $0)
                        return w >= week - 53 && w <= week - 2
                    }.count)
        }
        #expect(table.keyCount == hoursOf.count)
        #expect(spilled > 0, "busy places' recent hours spilled out of their records")
    }

    /// Expiry reads only the tiles whose bound on their slots' newest weeks lets a slot be that old:
    /// keys over many tiles and layers, some places busy for months and others quiet after one
    /// occurrence, expiry passes at every week: after each, exactly the keys with no occurrence since
    /// before the pass's week are gone, and every other key keeps its slot and its counts.
    @Test(arguments: [61, 62, 63] as [UInt64]) func expiryFreesExactlyTheStaleKeysOfEveryTile(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = ScanCountTable(longestHours: 168, latenessHours: 1)
        var cells: [GridCell] = []
        while cells.count < 300 {
            let cell = GridCell(x: Int32(Int(rng.next() % 120) - 60), y: Int32(Int(rng.next() % 120) - 60))
            if !cells.contains(cell) { cells.append(cell) }
        }
        var hoursOf: [Int: [Int64]] = [:]  // key: cell index * 4 + layer
        var head: Int64 = 90_000
        var removed = 0
        for step in 0..<20_000 {
            head += Int64(rng.next() % 3)
            // A tenth of the places get most occurrences; the rest now and then.
            let c = rng.next() % 4 == 0 ? Int(rng.next() % 300) : Int(rng.next() % 30)
            let layer = UInt16(rng.next() % 3)
            if let slot = table.slot(for: cells[c], layer: layer, admit: true) {
                let hour = head - Int64(rng.next() % 2)
                table.add(slot: slot, hour: hour)
                hoursOf[c * 4 + Int(layer), default: []].append(hour)
            }
            guard step % 97 == 0 else { continue }
            let week = ClusterTime.week(ofHour: head) - Int64(rng.next() % 6)
            removed += Self.expire(&table, reference: &hoursOf, olderThanWeek: week)
            for (c, cell) in cells.enumerated() {
                for layer in 0..<3 {
                    let slot = table.slot(cell, layer: UInt16(layer))
                    let hours = hoursOf[c * 4 + layer]
                    #expect((slot == nil) == (hours == nil), "cell \(c) layer \(layer)")
                    if let slot, let hours, let last = hours.max() {
                        #expect(Int(table.count(slot: slot, endHour: last, length: 168)) == hours.filter { $0 > last - 168 }.count)
                    }
                }
            }
        }
        #expect(table.keyCount == hoursOf.count)
        #expect(removed > 300, "removed \(removed)")
    }

    /// Baselines over years, with quiet spells of weeks to more than the weekly ring's 64 weeks
    /// and slots freed and reused: a ring position counts only while its bit is set, so neither a
    /// reused slot's old words nor weeks the head skipped may leak into a baseline.
    @Test(arguments: [31, 32, 33] as [UInt64]) func baselinesAcrossQuietSpellsAndReusedSlotsEqualBruteForce(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = ScanCountTable(longestHours: 168, latenessHours: 1)
        let cells = (0..<6).map { GridCell(x: Int32($0), y: Int32($0 % 2)) }
        var hoursOf: [Int: [Int64]] = [:]  // key: cell index * 4 + layer
        var head: Int64 = 50_000
        var reused = 0
        var created = 0
        for step in 0..<8_000 {
            // Mostly hours apart, sometimes weeks, now and then more than the ring holds.
            switch rng.next() % 100 {
            case 0: head += Int64(168 * (20 + rng.next() % 60))
            case 1...4: head += Int64(168 * (1 + rng.next() % 8))
            default: head += Int64(rng.next() % 12)
            }
            let c = Int(rng.next() % UInt64(cells.count))
            let layer = UInt16(rng.next() % 2)
            let key = c * 4 + Int(layer)
            let isNew = table.slot(cells[c], layer: layer) == nil
            if let slot = table.slot(for: cells[c], layer: layer, admit: true) {
                if isNew { created += 1 }
                table.add(slot: slot, hour: head)
                hoursOf[key, default: []].append(head)
            }
            if step % 50 == 0 {
                reused += Self.expire(&table, reference: &hoursOf, olderThanWeek: ClusterTime.week(ofHour: head) - 20)
            }
            let probe = Int(rng.next() % UInt64(cells.count)) * 4 + Int(rng.next() % 2)
            guard let slot = table.slot(cells[probe / 4], layer: UInt16(probe % 4)) else {
                #expect(hoursOf[probe] == nil)
                continue
            }
            let week = ClusterTime.week(ofHour: head) + Int64(rng.next() % 3)
            let expected = (hoursOf[probe] ?? []).filter {
                let w = ClusterTime.week(ofHour: $0)
                return w >= week - 53 && w <= week - 2
            }.count
            #expect(Int(table.baseline(slot: slot, week: week)) == expected)
        }
        #expect(reused > 20 && created > reused, "slots were freed and created again")
    }

    /// The counts a busy slot keeps per length (moved forward hour by hour, updated by each
    /// occurrence, recounted when an evaluation ends earlier or the ring jumps) equal a brute-force
    /// count, with evaluations at the head, before it (late incidents) and well after it.
    @Test(arguments: [21, 22, 23, 24] as [UInt64]) func cachedCountsEqualBruteForce(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let lengths: [Int64] = [1, 3, 6, 12, 24, 48, 72, 168]
        var table = ScanCountTable(longestHours: 168, latenessHours: 2, cachedLengths: lengths)
        var hoursOf: [[Int64]] = [[], [], []]
        var slots: [Int32] = []
        for k in 0..<3 { slots.append(table.slot(for: GridCell(x: Int32(k), y: 7), layer: 0, admit: true)!) }
        var head: Int64 = 50_000
        var spilled = 0
        for _ in 0..<4_000 {
            let step = rng.next() % 200
            if step < 120 { head += 0 } else if step < 199 { head += Int64(rng.next() % 4) } else { head += Int64(rng.next() % 300) }
            spilled = max(spilled, table.spilledSlots)
            let k = Int(rng.next() % 3)
            // Mostly on time, some up to two hours late; busy enough that records spill.
            let hour = head - (rng.next() % 5 == 0 ? Int64(rng.next() % 3) : 0)
            table.add(slot: slots[k], hour: hour)
            hoursOf[k].append(hour)
            for _ in 0..<2 {
                let probe = Int(rng.next() % 3)
                let end: Int64
                switch rng.next() % 6 {
                case 0: end = head - Int64(rng.next() % 3)
                case 1: end = head + Int64(rng.next() % 200)
                default: end = head + Int64(rng.next() % 2)
                }
                var out = [UInt32](repeating: 0, count: lengths.count + 2)
                table.addRecentCounts(slot: slots[probe], endHour: end, lengths: lengths, into: &out, at: 1)
                #expect(out[0] == 0 && out[lengths.count + 1] == 0)
                for (j, length) in lengths.enumerated() {
                    let brute = hoursOf[probe].filter { $0 > end - length && $0 <= end }.count
                    #expect(Int(out[j + 1]) == brute, "slot \(probe), end \(end) (head \(head)), length \(length)")
                }
            }
        }
        #expect(spilled > 0, "busy slots spilled out of their records")
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64]) func countsEqualBruteForce(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = ScanCountTable(longestHours: 168, latenessHours: 1)
        var hours: [Int64] = []
        var head: Int64 = 1_000 + Int64(rng.next() % 100)
        let slot = table.slot(for: GridCell(x: 42, y: -3), layer: 1, admit: true)!
        for _ in 0..<2_000 {
            let step = rng.next() % 10
            if step < 6 { head += Int64(rng.next() % 3) } else if step < 9 { head += 0 } else { head += Int64(rng.next() % 400) }
            let hour = head - Int64(rng.next() % 2)  // up to one hour late
            table.add(slot: slot, hour: hour)
            hours.append(hour)
            let end = head - Int64(rng.next() % 2)
            for length in [1, 3, 24, 168] as [Int64] {
                let brute = hours.filter { $0 > end - length && $0 <= end }.count
                #expect(Int(table.count(slot: slot, endHour: end, length: length)) == brute)
            }
            let week = ClusterTime.week(ofHour: head)
            let baseline = hours.filter {
                let w = ClusterTime.week(ofHour: $0)
                return w >= week - 53 && w <= week - 2
            }.count
            #expect(Int(table.baseline(slot: slot, week: week)) == baseline)
        }
    }
}
