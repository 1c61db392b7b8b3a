import Testing

@testable import VigilCore

/// The scan's shortcuts (cells skipped by the recent-occurrence masks, evaluations ended early by
/// the surprise floor, cylinders below the floor not visited) must not change what
/// an evaluation finds. Random occurrences over a small area and many weeks, with quiet spells that
/// let cells go stale and evaluations of earlier hours, as late incidents make.
@Suite struct SpaceTimeScanShortcutTests {
    struct Occurrence {
        var cell: GridCell
        var layer: UInt16
        var hour: Int64
    }

    /// A scan fed one random occurrence a step (all categories and one of two others, at the hour
    /// reached or one before; now and then a quiet spell of up to 900 hours), and asked about one
    /// of the last 50 cells fed, in a random layer, at one of the last 4 hours.
    struct RandomFeed {
        var scan = SpaceTimeScan(
            configuration: ClusterScanConfiguration(minimumBaselineWeeks: 2), cellSize: 250, latenessHours: 3, maxKeys: 1_000_000)
        var recentCells: [GridCell] = []
        var head: Int64 = 24 * 7 * 2_000

        mutating func add(_ cell: GridCell, _ rng: inout SplitMix64) {
            head += rng.next() % 200 == 0 ? Int64(rng.next() % 900) : Int64(rng.next() % 3)
            let hour = head - Int64(rng.next() % 2)
            for layer in [UInt16(0), UInt16(1 + rng.next() % 2)] { scan.add(cell: cell, layer: layer, hour: hour) }
            recentCells.append(cell)
            if recentCells.count > 50 { recentCells.removeFirst() }
        }

        func question(_ rng: inout SplitMix64) -> (centre: GridCell, layer: UInt16, endHour: Int64) {
            (recentCells[Int(rng.next() % UInt64(recentCells.count))], UInt16(rng.next() % 3), head - Int64(rng.next() % 4))
        }
    }

    /// Every cylinder of a full evaluation has the brute-force observed count; an evaluation with a
    /// floor visits exactly the full evaluation's cylinders (observed ≥ 3) whose surprise reaches the
    /// floor, in the same order and with the same values.
    @Test(arguments: [31, 32, 33] as [UInt64]) func shortcutsFindWhatTheFullEvaluationFinds(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let configuration = ClusterScanConfiguration(minimumBaselineWeeks: 2)
        var scan = SpaceTimeScan(configuration: configuration, cellSize: 250, latenessHours: 3, maxKeys: 1_000_000)
        var occurrences: [Occurrence] = []
        var head: Int64 = 24 * 7 * 2_000
        var pruned = 0
        var reached = 0
        var visitsWithFloor = 0
        for step in 0..<12_000 {
            // Mostly a few hours apart; now and then a quiet spell of days or weeks.
            head += rng.next() % 200 == 0 ? Int64(rng.next() % 900) : Int64(rng.next() % 3)
            // A busy corner and a sparse rest; layer 0 is "all", 1–2 categories.
            let busy = rng.next() % 3 == 0
            let cell =
                busy
                ? GridCell(x: Int32(rng.next() % 3), y: Int32(rng.next() % 3))
                : GridCell(x: Int32(Int(rng.next() % 30) - 15), y: Int32(Int(rng.next() % 30) - 15))
            let hour = head - Int64(rng.next() % 2)
            for layer in [UInt16(0), UInt16(1 + rng.next() % 2)] {
                scan.add(cell: cell, layer: layer, hour: hour)
                occurrences.append(Occurrence(cell: cell, layer: layer, hour: hour))
            }
            // Only the last 176 hours can be counted (the longest cylinder plus the evaluations' lag).
            if occurrences.count > 4_000 { occurrences.removeAll { $0.hour <= head - 176 } }
            guard step % 7 == 0 else { continue }
            let centre = occurrences[occurrences.count - 1 - Int(rng.next() % UInt64(min(occurrences.count, 50)))].cell
            let layer = UInt16(rng.next() % 3)
            let end = head - Int64(rng.next() % 4)
            var full: [ScanCylinder] = []
            guard scan.evaluate(centre: centre, layer: layer, endHour: end, visit: { full.append($0) }) else { continue }
            for c in full {
                let brute = occurrences.filter {
                    let dx = Int($0.cell.x) - Int(centre.x)
                    let dy = Int($0.cell.y) - Int(centre.y)
                    return $0.layer == layer && dx * dx + dy * dy <= c.radiusCells * c.radiusCells
                        && $0.hour > end - Int64(c.durationHours) && $0.hour <= end
                }.count
                #expect(c.observed == brute, "r \(c.radiusCells) d \(c.durationHours) at \(centre), hour \(end)")
            }
            // The same floor for every length, and a short and a long family with different floors.
            for floors in [(4.0, 4.0), (9.0, 9.0), (16.0, 16.0), (16.0, 6.0), (5.0, 12.0)] {
                var shortcut: [ScanCylinder] = []
                let f = ScanFloors(short: floors.0, long: floors.1)
                _ = scan.evaluate(centre: centre, layer: layer, endHour: end, minimumObserved: 3, floors: f) {
                    shortcut.append($0)
                }
                let longFrom = scan.configuration.longFromHours
                let expected = full.filter { $0.observed >= 3 && $0.surprise >= ($0.durationHours >= longFrom ? f.long : f.short) }
                #expect(shortcut == expected)
                visitsWithFloor += shortcut.count
                if expected.isEmpty { pruned += 1 } else { reached += 1 }
            }
        }
        // The run exercised both outcomes.
        #expect(pruned > 100 && reached > 100, "pruned \(pruned), reached \(reached)")
        #expect(visitsWithFloor > 0)
    }

    /// One cylinder asked for alone (`cylinder(…)`, as the open clusters' hourly re-check asks the
    /// one that kept a cluster open) is exactly the full evaluation's cylinder of that radius and
    /// duration, every field equal, and with a floor its surprise reaches the floor exactly when the
    /// full evaluation's does; asked between evaluations, so the caches they move are exercised.
    @Test(arguments: [41, 42, 43] as [UInt64]) func oneCylinderIsTheFullEvaluationsCylinder(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var feed = RandomFeed()
        var compared = 0
        var reachedFloor = 0
        for step in 0..<12_000 {
            feed.add(
                rng.next() % 3 == 0
                    ? GridCell(x: Int32(rng.next() % 3), y: Int32(rng.next() % 3))
                    : GridCell(x: Int32(Int(rng.next() % 30) - 15), y: Int32(Int(rng.next() % 30) - 15)), &rng)
            guard step % 5 == 0 else { continue }
            let (centre, layer, end) = feed.question(&rng)
            var full: [ScanCylinder] = []
            guard feed.scan.evaluate(centre: centre, layer: layer, endHour: end, visit: { full.append($0) }) else {
                #expect(feed.scan.cylinder(centre: centre, layer: layer, endHour: end, radiusCells: 1, durationHours: 3) == nil)
                continue
            }
            // Two of its cylinders, asked alone right after it.
            for _ in 0..<2 {
                let wanted = full[Int(rng.next() % UInt64(full.count))]
                let one = feed.scan.cylinder(
                    centre: centre, layer: layer, endHour: end, radiusCells: wanted.radiusCells, durationHours: wanted.durationHours)
                #expect(one == wanted, "r \(wanted.radiusCells) d \(wanted.durationHours) at \(centre), hour \(end)")
                let floor = [2.0, 6.0, 12.0][Int(rng.next() % 3)]
                let withFloor = feed.scan.cylinder(
                    centre: centre, layer: layer, endHour: end, radiusCells: wanted.radiusCells, durationHours: wanted.durationHours,
                    atLeast: floor)
                #expect((withFloor.map { $0.surprise >= floor } ?? false) == (wanted.surprise >= floor))
                if wanted.surprise >= floor {
                    reachedFloor += 1
                    #expect(withFloor?.surprise == wanted.surprise)
                }
                compared += 1
            }
        }
        #expect(compared > 3_000 && reachedFloor > 100, "compared \(compared), reached \(reachedFloor)")
        #expect(
            feed.scan.cylinder(centre: GridCell(x: 0, y: 0), layer: 0, endHour: feed.head, radiusCells: 1, durationHours: 5) == nil)
    }

    /// Every radius and duration asked for alone is the full evaluation's cylinder of that shape
    /// (a ring missed or counted twice changes some radius's count or baseline), near the origin
    /// and where the disc's square wraps past Int32 (where `cylinder` reads its cells one by one
    /// rather than tile by tile); the centre's place in its tile varies, so every disc mask is read.
    @Test(arguments: [(51, 0), (52, Int32.max - 4), (53, Int32.min + 2)] as [(UInt64, Int32)])
    func everyShapeAloneIsTheFullEvaluationsCylinder(seed: UInt64, origin: Int32) {
        var rng = SplitMix64(seed: seed)
        var feed = RandomFeed()
        var compared = 0
        var radii = Set<Int>()
        for step in 0..<6_000 {
            feed.add(GridCell(x: origin &+ Int32(Int(rng.next() % 16) - 8), y: origin &+ Int32(Int(rng.next() % 16) - 8)), &rng)
            guard step % 10 == 0 else { continue }
            let (centre, layer, end) = feed.question(&rng)
            var full: [ScanCylinder] = []
            guard feed.scan.evaluate(centre: centre, layer: layer, endHour: end, visit: { full.append($0) }) else { continue }
            #expect(full.count == (feed.scan.radius + 1) * feed.scan.durations.count)
            for wanted in full.shuffled(using: &rng) {
                let one = feed.scan.cylinder(
                    centre: centre, layer: layer, endHour: end, radiusCells: wanted.radiusCells, durationHours: wanted.durationHours)
                #expect(one == wanted, "r \(wanted.radiusCells) d \(wanted.durationHours) at \(centre), hour \(end)")
                if wanted.observed > 0 { radii.insert(wanted.radiusCells) }
                compared += 1
            }
        }
        #expect(compared > 10_000 && radii.count == feed.scan.radius + 1, "compared \(compared), radii \(radii)")
    }
}
