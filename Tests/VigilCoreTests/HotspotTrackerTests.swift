import Foundation
import Testing

@testable import VigilCore

/// Drives hotspot detection through `IncidentEngine` day by day on a small 21×21-cell grid.
///
/// Each day starts with a "tick" incident at 02:00 in a cell outside the grid's box (so it is
/// never part of the Gi* universe): it moves the watermark past midnight, which runs the daily
/// evaluation over the window ending the day before. The day's incidents follow at 10:00.
struct HotspotDriver {
    static let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.70, west: -79.40, north: 43.745, east: -79.3375))
    static let day0 = ts("2024-01-01T00:00:00Z")
    static let outside = GridCell(x: -3, y: -3)

    var engine: IncidentEngine
    /// Alerts by the day of the evaluation that produced them.
    private(set) var alerts: [(day: Int, alert: Alert)] = []
    /// The snapshot of each day's evaluation.
    private(set) var snapshots: [Int: HotspotSnapshot] = [:]
    private var serial = 0
    private(set) var nextDay = 0

    init(
        window: WindowSpec = WindowSpec(horizon: .days(28), resolution: .days(1)), minimumCells: Int = 3,
        minimumPersistence: Int = 1, growthFactor: Double = 1.5, closeAfter: EventDuration = .days(7),
        countRule: CountRuleConfiguration? = nil, surgeRule: SurgeRuleConfiguration? = nil
    ) {
        engine = IncidentEngine(
            configuration: EngineConfiguration(
                grid: Self.grid, countRule: countRule, surgeRule: surgeRule,
                hotspots: HotspotConfiguration(
                    window: window, evaluateEvery: .days(1), minimumCells: minimumCells,
                    minimumPersistence: minimumPersistence, growthFactor: growthFactor, closeAfter: closeAfter)))
    }

    static func incident(
        _ id: String, _ cell: GridCell, _ time: Timestamp, category: String = "Assault",
        neighbourhood: String? = nil
    ) -> Incident {
        let p = grid.centre(of: cell)
        return Incident(
            id: id, eventTime: time, category: category, neighbourhood: neighbourhood, latitude: p.latitude, longitude: p.longitude)
    }

    static func start(ofDay day: Int) -> Timestamp { day0 + .days(Int64(day)) }

    /// A cell of the 21×21 grid: with `percent` % chance within one cell of `centre` (a busy
    /// place), otherwise anywhere. The random tests' incidents fall this way.
    static func randomCell(near centre: GridCell, percent: Int, using rng: inout SplitMix64) -> GridCell {
        if Int.random(in: 0..<100, using: &rng) < percent {
            return GridCell(x: centre.x + Int32.random(in: -1...1, using: &rng), y: centre.y + Int32.random(in: -1...1, using: &rng))
        }
        return GridCell(x: Int32.random(in: 0..<21, using: &rng), y: Int32.random(in: 0..<21, using: &rng))
    }

    /// Runs day `nextDay`: the tick (and so the evaluation at its midnight), then `incidents`
    /// (cell, how many, category) at 10:00 onwards, a minute apart.
    mutating func runDay(_ incidents: [(GridCell, Int, String)] = []) {
        let day = nextDay
        nextDay += 1
        let start = Self.start(ofDay: day)
        let ticked = engine.process(Self.incident("tick\(day)", Self.outside, start + .hours(2), category: "Tick")).alerts ?? []
        alerts += ticked.map { (day, $0) }
        if let snapshot = engine.hotspotSnapshot, snapshot.evaluatedAt == start { snapshots[day] = snapshot }
        var minute: Int64 = 0
        for (cell, count, category) in incidents {
            for _ in 0..<count {
                serial += 1
                let decision = engine.process(Self.incident("i\(serial)", cell, start + .hours(10) + .minutes(minute), category: category))
                #expect(decision.alerts?.allSatisfy { $0.hotspot == nil } == true, "hotspots are evaluated on the tick only")
                minute += 1
            }
        }
    }

    mutating func runDays(through last: Int) { while nextDay <= last { runDay() } }

    func alerts(_ kind: Alert.Kind) -> [(day: Int, alert: Alert)] { alerts.filter { $0.alert.kind == kind } }
}

@Suite("HotspotTracker through IncidentEngine")
struct HotspotTrackerTests {
    typealias Driver = HotspotDriver
    static let cluster: [(GridCell, Int, String)] = [
        (GridCell(x: 5, y: 5), 5, "Assault"), (GridCell(x: 6, y: 5), 5, "Assault"), (GridCell(x: 5, y: 6), 5, "Robbery")
    ]

    @Test("the 21×21 test grid is the Gi* universe")
    func universe() {
        let tracker = HotspotTracker(configuration: HotspotConfiguration(), grid: Driver.grid)
        #expect(tracker.columns == 21 && tracker.rows == 21)
        #expect(
            Driver.grid.cell(
                latitude: Driver.grid.centre(of: Driver.outside).latitude,
                longitude: Driver.grid.centre(of: Driver.outside).longitude) == Driver.outside)
    }

    @Test("a dense cluster opens one hotspot, with polygon, categories and cell ids")
    func denseClusterOpens() throws {
        var driver = Driver()
        driver.runDay(Self.cluster)  // day 0
        #expect(driver.alerts.isEmpty, "nothing is evaluated before the first midnight")
        driver.runDay()  // day 1: the evaluation at 01-02 00:00 sees day 0
        try #require(driver.alerts.count == 1)
        let (day, alert) = driver.alerts[0]
        #expect(day == 1 && alert.kind == .hotspotOpened && alert.rule == "gi_star_hotspots")
        let hotspot = try #require(alert.hotspot)
        let snapshot = try #require(driver.snapshots[1])
        try #require(snapshot.hotspots.count == 1)
        #expect(hotspot.id.hasPrefix("hs-") && alert.id.hasPrefix("hsa-") && alert.partitionKey == hotspot.id)
        #expect(snapshot.hotspots[0].id == hotspot.id && snapshot.hotspots[0].cells == hotspot.cells)
        #expect(snapshot.hotspots[0].announcedCells == hotspot.cells.count)

        // The cells: every cluster cell, sorted, all hot in the snapshot; previous_cells only on later changes.
        #expect(Set(Self.cluster.map(\.0)).isSubset(of: Set(hotspot.cells)))
        #expect(hotspot.cells == hotspot.cells.sorted() && hotspot.cells.count >= 3)
        #expect(Set(hotspot.cells) == Set(snapshot.giStar.hot.map(\.cell)))
        #expect(hotspot.previousCells == nil && hotspot.mergedWith.isEmpty && hotspot.splitFrom == nil)
        #expect(alert.count == 15 && alert.category == nil && alert.incidentIDs.isEmpty)
        #expect(hotspot.categories == [CategoryCount(category: "Assault", count: 10), CategoryCount(category: "Robbery", count: 5)])
        #expect(hotspot.maxGiStar == snapshot.giStar.hot.map(\.giStar).max())
        #expect(alert.severity == (hotspot.cells.count >= 10 ? .high : .medium))
        #expect(abs(hotspot.intensity - 15 / (Double(hotspot.cells.count) * 0.0625)) < 1e-9, "incidents per km²")

        // Window and time: evaluated at 01-02 00:00 over the 28 days ending then.
        #expect(alert.eventTime == ts("2024-01-02T00:00:00Z"))
        #expect(alert.windowEnd == ts("2024-01-02T00:00:00Z") && alert.windowStart == ts("2023-12-05T00:00:00Z"))

        // Location: the count-weighted centroid of the three cluster cells (equal counts).
        let centres = Self.cluster.map { Driver.grid.centre(of: $0.0) }
        #expect(abs(alert.latitude - centres.map(\.latitude).reduce(0, +) / 3) < 1e-9)
        #expect(abs(alert.longitude - centres.map(\.longitude).reduce(0, +) / 3) < 1e-9)
        #expect(alert.cell == Driver.grid.cell(latitude: alert.latitude, longitude: alert.longitude))

        // Polygon: closed, counter-clockwise, made of cell corners, spanning the cells' bounding box.
        let polygon = hotspot.polygon
        try #require(polygon.count >= 5)
        #expect(polygon.first == polygon.last)
        let signedArea = zip(polygon, polygon.dropFirst()).map { $0.longitude * $1.latitude - $1.longitude * $0.latitude }.reduce(0, +)
        #expect(signedArea > 0, "counter-clockwise in (lon, lat)")
        let corners = hotspot.cells.flatMap { Driver.grid.corners(of: $0) }
        for p in polygon {
            #expect(corners.contains { abs($0.latitude - p.latitude) < 1e-9 && abs($0.longitude - p.longitude) < 1e-9 }, "\(p)")
        }
        #expect(abs(polygon.map(\.latitude).min()! - corners.map(\.latitude).min()!) < 1e-9)
        #expect(abs(polygon.map(\.longitude).max()! - corners.map(\.longitude).max()!) < 1e-9)

        // The wire form.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(AlertJSON.encode(alert, detectedAt: nil))) as? [String: Any])
        #expect(json["kind"] as? String == "hotspot_opened")
        #expect((json["key"] as? [String: Any])?["hotspot"] as? String == hotspot.id)
        let location = try #require(json["location"] as? [String: Any])
        let geometry = try #require(location["polygon"] as? [String: Any])
        #expect(geometry["type"] as? String == "Polygon")
        let rings = try #require(geometry["coordinates"] as? [[[Double]]])
        #expect(rings.count == 1 && rings[0].count == polygon.count && rings[0].first == rings[0].last)
        #expect(abs(rings[0][0][0] - polygon[0].longitude) < 1e-6 && abs(rings[0][0][1] - polygon[0].latitude) < 1e-6, "[lon, lat]")
        let evidence = try #require(json["evidence"] as? [String: Any])
        #expect(evidence["cell_ids"] as? [String] == hotspot.cells.map(\.description))
        #expect((evidence["categories"] as? [String: Int]) == ["Assault": 10, "Robbery": 5])
        #expect((evidence["cells"] as? Int) == hotspot.cells.count && (evidence["count"] as? Int) == 15)
        #expect(evidence["previous_cells"] == nil && evidence["merged_with"] == nil && evidence["split_from"] == nil)
        #expect(driver.engine.statistics.hotspotEvaluations == 1 && driver.engine.statistics.alerts == 1)
    }

    @Test("a growing hotspot keeps its id; hotspot_grew only once the growth factor is reached")
    func growsWithStableID() throws {
        var driver = Driver()
        // A cluster that creeps north-east one cell a day (28-day window: nothing leaves it).
        let walk: [GridCell] = [
            GridCell(x: 6, y: 6), GridCell(x: 7, y: 6), GridCell(x: 7, y: 7), GridCell(x: 8, y: 7), GridCell(x: 8, y: 8),
            GridCell(x: 9, y: 8), GridCell(x: 9, y: 9), GridCell(x: 10, y: 9), GridCell(x: 10, y: 10), GridCell(x: 11, y: 10)
        ]
        driver.runDay(Self.cluster)
        for cell in walk { driver.runDay([(cell, 5, "Assault")]) }
        driver.runDays(through: walk.count + 2)

        let opened = driver.alerts(.hotspotOpened)
        try #require(opened.count == 1)
        let id = try #require(opened[0].alert.hotspot?.id)
        #expect(driver.alerts(.hotspotClosed).isEmpty)
        #expect(driver.alerts.allSatisfy { $0.alert.hotspot?.id == id }, "one hotspot, one id")

        // Replay the hysteresis from the snapshots: an alert exactly when the size reaches
        // max(announced + 1, ⌈1.5 × announced⌉), citing the announced size as previous_cells.
        var announced = try #require(opened[0].alert.hotspot?.cells.count)
        var grewWithoutAlert = false
        for day in 2..<driver.nextDay {
            let snapshot = try #require(driver.snapshots[day], "evaluation on day \(day)")
            try #require(snapshot.hotspots.count == 1)
            #expect(snapshot.hotspots[0].id == id)
            let size = snapshot.hotspots[0].cells.count
            let target = max(announced + 1, Int((Double(announced) * 1.5).rounded(.up)))
            let grew = driver.alerts(.hotspotGrew).filter { $0.day == day }
            if size >= target {
                try #require(grew.count == 1, "day \(day): \(size) cells ≥ \(target)")
                #expect(grew[0].alert.hotspot?.previousCells == announced && grew[0].alert.hotspot?.cells.count == size)
                #expect(grew[0].alert.hotspot?.polygon.isEmpty == false && grew[0].alert.hotspot?.categories.isEmpty == false)
                announced = size
            } else {
                #expect(grew.isEmpty, "day \(day): \(size) cells < \(target)")
                if size > announced { grewWithoutAlert = true }
            }
            #expect(snapshot.hotspots[0].announcedCells == announced)
        }
        #expect(grewWithoutAlert, "some growth stayed below the factor")
        #expect(driver.alerts(.hotspotGrew).count >= 1)
    }

    @Test("a hotspot closes closeAfter after its last hot evaluation, returns with its id if sooner, and a new one opens after")
    func closesAndReturns() throws {
        // A 3-day window: a one-day burst is hot in the 3 evaluations after it.
        var driver = Driver(window: WindowSpec(horizon: .days(3), resolution: .days(1)))
        driver.runDay(Self.cluster)  // day 0
        driver.runDays(through: 5)  // hot on days 1…3, dormant on 4 and 5
        let opened = driver.alerts(.hotspotOpened)
        try #require(opened.count == 1 && opened[0].day == 1)
        let id = try #require(opened[0].alert.hotspot?.id)
        for day in 1...3 { #expect(driver.snapshots[day]?.hotspots.map(\.id) == [id], "day \(day)") }
        for day in 4...5 { #expect(driver.snapshots[day]?.hotspots == [], "day \(day): no hot cells") }

        // Back on day 6, 3 days after it was last seen (< 7 days): same id, no new alert, persistence restarts.
        driver.runDay(Self.cluster)  // day 6
        driver.runDays(through: 7)
        #expect(driver.snapshots[7]?.hotspots.map(\.id) == [id])
        #expect(driver.snapshots[7]?.hotspots.first?.persistence == 1, "not consecutive with day 3")
        #expect(driver.snapshots[7]?.hotspots.first?.openedAt == ts("2024-01-02T00:00:00Z"), "opened on day 1")
        #expect(driver.alerts.count == 1, "a returning hotspot is not opened again")

        // Hot on days 7…9; closed exactly 7 days after day 9, on day 16.
        driver.runDays(through: 20)
        let closed = driver.alerts(.hotspotClosed)
        try #require(closed.count == 1)
        #expect(closed[0].day == 16)
        let evidence = try #require(closed[0].alert.hotspot)
        #expect(evidence.id == id && evidence.mergedWith.isEmpty && evidence.previousCells == evidence.cells.count)
        #expect(closed[0].alert.severity == .low && closed[0].alert.eventTime == ts("2024-01-17T00:00:00Z"))
        #expect(evidence.polygon.count >= 5 && evidence.polygon.first == evidence.polygon.last, "the outline it had when last seen")
        #expect(driver.alerts.count == 2)

        // After closing, the same place opens a new hotspot with a new id.
        driver.runDay(Self.cluster)  // day 21
        driver.runDay()
        let reopened = driver.alerts(.hotspotOpened)
        try #require(reopened.count == 2)
        #expect(reopened[1].day == 22 && reopened[1].alert.hotspot?.id != id)
    }

    /// What the tracker reads of an order of overlaps: the greedy matching (each component
    /// continues the first overlap's hotspot not yet taken) and the first overlap of each
    /// component and of each previous hotspot (the split and merge links).
    static func readings(_ order: [HotspotTracker.Overlap], components: Int, previous: Int) -> [[Int]] {
        var owner = [Int](repeating: -1, count: components)
        var taken = [Bool](repeating: false, count: previous)
        var firstOfComponent = [[Int]](repeating: [], count: components)
        var firstOfPrevious = [[Int]](repeating: [], count: previous)
        for o in order {
            if firstOfComponent[o.component].isEmpty { firstOfComponent[o.component] = [o.component, o.previous, o.overlap] }
            if firstOfPrevious[o.previous].isEmpty { firstOfPrevious[o.previous] = [o.component, o.previous, o.overlap] }
            guard owner[o.component] < 0, !taken[o.previous] else { continue }
            owner[o.component] = o.previous
            taken[o.previous] = true
        }
        return [owner] + firstOfComponent + firstOfPrevious
    }

    @Test(
        "matchingOrder: the tracker reads the same matching and first overlaps as from every overlap sorted",
        arguments: [UInt64(1), 2, 3, 4])
    func matchingOrderMatchesTheFullSort(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var contestedCases = 0
        for _ in 0..<400 {
            let components = Int.random(in: 1...10, using: &rng)
            let previous = Int.random(in: 1...10, using: &rng)
            // Distinct ids in a random order; overlaps of 1–3 cells, so ties are common.
            let ids = (0..<previous).map { "hs-\($0)" }.shuffled(using: &rng)
            let density = Int.random(in: 5...40, using: &rng)
            var overlaps: [HotspotTracker.Overlap] = []
            for p in 0..<previous {
                for c in 0..<components where Int.random(in: 0..<100, using: &rng) < density {
                    overlaps.append((c, p, Int.random(in: 1...3, using: &rng)))
                }
            }
            overlaps.shuffle(using: &rng)
            let full = overlaps.sorted { a, b in
                if a.overlap != b.overlap { return a.overlap > b.overlap }
                if ids[a.previous] != ids[b.previous] { return ids[a.previous] < ids[b.previous] }
                return a.component < b.component
            }
            let ordered = HotspotTracker.matchingOrder(overlaps, components: components, previous: previous) { ids[$0] }
            #expect(ordered.count == overlaps.count)
            #expect(
                Self.readings(ordered, components: components, previous: previous)
                    == Self.readings(full, components: components, previous: previous))
            if Set(overlaps.map(\.component)).count < overlaps.count { contestedCases += 1 }
        }
        #expect(contestedCases > 100, "most cases have a component with several overlaps")
    }

    @Test("in a merge the larger overlap keeps its id also when its hotspot comes second in the tracker's order")
    func mergeLargerSecond() throws {
        var driver = Driver()
        // A (3 cells) on the left comes first in cell order; B (4 cells) on the right is larger.
        let a: [(GridCell, Int, String)] = [
            (GridCell(x: 3, y: 5), 6, "Assault"), (GridCell(x: 4, y: 5), 6, "Assault"), (GridCell(x: 3, y: 6), 6, "Assault")
        ]
        let b: [(GridCell, Int, String)] = [
            (GridCell(x: 12, y: 5), 6, "Robbery"), (GridCell(x: 13, y: 5), 6, "Robbery"),
            (GridCell(x: 12, y: 6), 6, "Robbery"), (GridCell(x: 13, y: 6), 6, "Robbery")
        ]
        driver.runDay(a + b)  // day 0
        driver.runDay()  // day 1
        let day1 = try #require(driver.snapshots[1])
        try #require(day1.hotspots.count == 2)
        let (first, second) = (day1.hotspots[0], day1.hotspots[1])
        #expect(first.cells.contains(GridCell(x: 3, y: 5)) && second.cells.contains(GridCell(x: 12, y: 5)))
        #expect(second.cells.count > first.cells.count, "B overlaps the merged component more")

        driver.runDay((5...11).map { (GridCell(x: Int32($0), y: 5), 6, "Assault") })  // day 2: a bridge
        driver.runDays(through: 4)
        #expect(driver.snapshots[3]?.hotspots.map(\.id) == [second.id], "one component, B's id")
        let closed = driver.alerts(.hotspotClosed)
        try #require(closed.count == 1)
        #expect(closed[0].alert.hotspot?.id == first.id && closed[0].alert.hotspot?.mergedWith == [second.id])
        let grew = driver.alerts(.hotspotGrew)
        #expect(grew.map { $0.alert.hotspot?.id } == [second.id] && grew.first?.alert.hotspot?.mergedWith == [first.id])
    }

    @Test("two hotspots growing into each other merge: one closes with merged_with naming the survivor")
    func merge() throws {
        var driver = Driver()
        // A (4 cells) on the left, B (3 cells) on the right, far enough apart to be separate.
        let a: [(GridCell, Int, String)] = [
            (GridCell(x: 3, y: 5), 6, "Assault"), (GridCell(x: 4, y: 5), 6, "Assault"),
            (GridCell(x: 3, y: 6), 6, "Assault"), (GridCell(x: 4, y: 6), 6, "Assault")
        ]
        let b: [(GridCell, Int, String)] = [
            (GridCell(x: 12, y: 5), 6, "Robbery"), (GridCell(x: 13, y: 5), 6, "Robbery"),
            (GridCell(x: 12, y: 6), 6, "Robbery")
        ]
        driver.runDay(a + b)  // day 0
        driver.runDay()  // day 1
        let opened = driver.alerts(.hotspotOpened)
        try #require(opened.count == 2)
        let idA = try #require(opened.first { $0.alert.hotspot!.cells.contains(GridCell(x: 3, y: 5)) }?.alert.hotspot?.id)
        let idB = try #require(opened.first { $0.alert.hotspot!.cells.contains(GridCell(x: 12, y: 5)) }?.alert.hotspot?.id)
        #expect(idA != idB)
        let sizeA = try #require(driver.snapshots[1]?.hotspots.first { $0.id == idA }?.cells.count)
        let sizeB = try #require(driver.snapshots[1]?.hotspots.first { $0.id == idB }?.cells.count)
        #expect(sizeA > sizeB, "A overlaps the merged component more")

        // A bridge between them.
        driver.runDay((6...10).map { (GridCell(x: Int32($0), y: 5), 6, "Assault") })  // day 2
        driver.runDays(through: 4)
        let merged = try #require(driver.snapshots[3])
        #expect(merged.hotspots.map(\.id) == [idA], "one component, A's id (larger overlap)")
        let closed = driver.alerts(.hotspotClosed)
        try #require(closed.count == 1)
        #expect(closed[0].day == 3 && closed[0].alert.hotspot?.id == idB && closed[0].alert.hotspot?.mergedWith == [idA])
        #expect(closed[0].alert.hotspot?.previousCells == sizeB)
        let grew = driver.alerts(.hotspotGrew)
        try #require(grew.count == 1)
        #expect(grew[0].day == 3 && grew[0].alert.hotspot?.id == idA && grew[0].alert.hotspot?.mergedWith == [idB])
        #expect(grew[0].alert.hotspot?.previousCells == sizeA)
        #expect(Set(grew[0].alert.hotspot?.categories.map(\.category) ?? []) == ["Assault", "Robbery"])
        let json = String(decoding: AlertJSON.encode(closed[0].alert, detectedAt: nil), as: UTF8.self)
        #expect(json.contains("\"merged_with\":[\"\(idA)\"]"))
        #expect(driver.alerts.count == 4, "two opened, one grew, one closed")
    }

    @Test(
        "persistence hysteresis: hot for fewer evaluations than minimumPersistence is never announced",
        arguments: [(1, false), (2, true)])
    func persistence(burstDays: Int, announced: Bool) throws {
        // 3-day window: a burst on days 0…burstDays-1 is hot in 2 + burstDays consecutive evaluations.
        var driver = Driver(window: WindowSpec(horizon: .days(3), resolution: .days(1)), minimumPersistence: 4)
        for _ in 0..<burstDays { driver.runDay(Self.cluster) }
        driver.runDays(through: 20)
        let hotDays = driver.snapshots.filter { !$0.value.hotspots.isEmpty }.keys.sorted()
        #expect(hotDays == Array(1...(2 + burstDays)))
        #expect(hotDays.map { driver.snapshots[$0]!.hotspots[0].persistence } == Array(1...(2 + burstDays)))
        if announced {
            #expect(driver.alerts.map(\.alert.kind) == [.hotspotOpened, .hotspotClosed])
            #expect(driver.alerts.map(\.day) == [4, 4 + 7], "opened at the 4th consecutive hot evaluation")
        } else {
            #expect(driver.alerts.isEmpty, "tracked, never announced, so never closed either")
        }
    }

    @Test("a hotspot with fewer cells than minimumCells is tracked but not announced")
    func minimumCells() {
        var driver = Driver(minimumCells: 100)
        driver.runDay(Self.cluster)
        driver.runDays(through: 3)
        #expect(driver.alerts.isEmpty)
        #expect(driver.snapshots[1]?.hotspots.count == 1 && driver.snapshots[1]?.hotspots.first?.announcedCells == nil)
    }

    @Test("finish() evaluates everything processed, including the newest day")
    func finish() throws {
        var driver = Driver()
        driver.runDay()
        driver.runDay(Self.cluster)  // day 1: not yet evaluated
        #expect(driver.alerts.isEmpty)
        let evaluations = driver.engine.statistics.hotspotEvaluations
        let final = driver.engine.finish()
        try #require(final.count == 1)
        #expect(final[0].kind == .hotspotOpened)
        #expect(final[0].windowEnd == ts("2024-01-03T00:00:00Z"), "the window ends after the newest incident's day")
        #expect(driver.engine.statistics.hotspotEvaluations == evaluations + 1 && driver.engine.statistics.alerts == 1)
        #expect(driver.engine.hotspotSnapshot?.hotspots.count == 1)

        var empty = IncidentEngine(configuration: EngineConfiguration(grid: Driver.grid))
        #expect(empty.finish() == [])
    }

    @Test("determinism: two engines fed the same incidents emit byte-identical alerts")
    func deterministic() throws {
        func incidents(seed: UInt64) -> [Incident] {
            var rng = SplitMix64(seed: seed)
            let centres = [GridCell(x: 4, y: 4), GridCell(x: 12, y: 9), GridCell(x: 15, y: 16)]
            let categories = ["Assault", "Robbery", "Theft"]
            var time = Driver.day0.milliseconds
            return (0..<3000).map { k in
                time += Int64.random(in: 0...1_800_000, using: &rng)
                // The active cluster moves every 700 incidents.
                let cell = Driver.randomCell(near: centres[(k / 700) % centres.count], percent: 45, using: &rng)
                let late = Int.random(in: 0..<10, using: &rng) == 0 ? Int64.random(in: 0...5_000_000, using: &rng) : 0
                return Driver.incident(
                    "d\(k)", cell, Timestamp(milliseconds: time - late),
                    category: categories.randomElement(using: &rng)!, neighbourhood: "N\(cell.x / 7)")
            }
        }
        func run(_ incidents: [Incident]) -> (alerts: [Alert], statistics: EngineStatistics, snapshot: HotspotSnapshot?) {
            var engine = IncidentEngine(
                configuration: EngineConfiguration(
                    grid: Driver.grid,
                    hotspots: HotspotConfiguration(window: WindowSpec(horizon: .days(7), resolution: .days(1)), minimumPersistence: 2)))
            var alerts: [Alert] = []
            for incident in incidents { alerts += engine.process(incident).alerts ?? [] }
            alerts += engine.finish()
            return (alerts, engine.statistics, engine.hotspotSnapshot)
        }
        let input = incidents(seed: 0x4075)
        let a = run(input)
        let b = run(input)
        #expect(a.alerts.map { AlertJSON.encode($0, detectedAt: nil) } == b.alerts.map { AlertJSON.encode($0, detectedAt: nil) })
        #expect(a.alerts == b.alerts && a.statistics == b.statistics && a.snapshot == b.snapshot)
        let kinds = Set(a.alerts.map(\.kind))
        #expect(kinds.isSuperset(of: [.hotspotOpened, .hotspotClosed, .countThreshold]), "\(kinds)")
        #expect(a.statistics.late > 0 && a.statistics.hotspotEvaluations > 20)
        #expect(Set(a.alerts.map(\.id)).count == a.alerts.count, "alert ids are unique")
        // Every hotspot alert carries a valid GeoJSON ring (closed, at least 4 positions).
        for alert in a.alerts where alert.hotspot != nil {
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(AlertJSON.encode(alert, detectedAt: nil))) as? [String: Any])
            let geometry = (json["location"] as? [String: Any])?["polygon"] as? [String: Any]
            let ring = (geometry?["coordinates"] as? [[[Double]]])?.first ?? []
            #expect(ring.count >= 4 && ring.first == ring.last, "\(alert.kind) \(alert.id)")
        }
    }

    @Test(
        "hotspot alerts of kinds not published are not built, and the hotspots' state moves on as if they were",
        arguments: [UInt64(1), 2, 3])
    func unpublishedKindsKeepTheSameState(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let centres = [GridCell(x: 4, y: 4), GridCell(x: 12, y: 9), GridCell(x: 15, y: 16)]
        var time = Driver.day0.milliseconds
        let incidents = (0..<3000).map { k -> Incident in
            time += Int64.random(in: 0...1_800_000, using: &rng)
            let cell = Driver.randomCell(near: centres[(k / 700) % centres.count], percent: 45, using: &rng)
            let category = ["Assault", "Robbery"].randomElement(using: &rng)!
            return Driver.incident("u\(k)", cell, Timestamp(milliseconds: time), category: category)
        }
        let hotspotKinds: [Alert.Kind] = [.hotspotOpened, .hotspotGrew, .hotspotClosed]
        func engine(_ kinds: Set<Alert.Kind>?) -> IncidentEngine {
            IncidentEngine(
                configuration: EngineConfiguration(
                    grid: Driver.grid, countRule: nil,
                    hotspots: HotspotConfiguration(window: WindowSpec(horizon: .days(7), resolution: .days(1)), minimumPersistence: 2),
                    alertKinds: kinds))
        }
        // What a hotspot's state is, outline and categories aside (built only for published alerts).
        func state(_ s: HotspotSnapshot?) -> [String] {
            (s?.hotspots ?? []).map {
                "\($0.id) \($0.cells) \($0.count) \($0.maxGiStar) \($0.centroid) \($0.intensity) \($0.openedAt) \($0.lastSeenAt) "
                    + "\($0.persistence) \(String(describing: $0.announcedCells))"
            }
        }
        let subsets: [Set<Alert.Kind>] = [[], [.hotspotOpened], [.hotspotGrew, .hotspotClosed], [.clusterEmerging]]
        var all = engine(nil)
        var restricted = subsets.map { engine($0) }
        var allAlerts: [Alert] = []
        var restrictedAlerts = Array(repeating: [Alert](), count: subsets.count)
        for incident in incidents {
            allAlerts += all.process(incident).alerts ?? []
            for i in subsets.indices {
                restrictedAlerts[i] += restricted[i].process(incident).alerts ?? []
                #expect(state(restricted[i].hotspotSnapshot) == state(all.hotspotSnapshot))
            }
        }
        #expect(Set(allAlerts.map(\.kind)).isSuperset(of: hotspotKinds), "every hotspot kind occurs")
        for i in subsets.indices {
            #expect(
                restrictedAlerts[i].map { AlertJSON.encode($0, detectedAt: nil) }
                    == allAlerts.filter { subsets[i].contains($0.kind) }.map { AlertJSON.encode($0, detectedAt: nil) })
        }
    }
}
