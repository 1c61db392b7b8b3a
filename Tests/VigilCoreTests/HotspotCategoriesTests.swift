import Testing

@testable import VigilCore

/// `IncidentEngine.categories(ofHotspot:)`: the category mix `/hotspots` shows for every hotspot,
/// not only for the ones whose evaluation alerted.
@Suite("Hotspot categories on demand")
struct HotspotCategoriesTests {
    typealias Driver = HotspotDriver
    static let dayMilliseconds: Int64 = 86_400_000

    @Test(
        "every hotspot of every evaluation gets the categories found by counting the incidents in its cells and window",
        arguments: [UInt64(1), 2, 3])
    func everyHotspotMatchesACountOfItsIncidents(seed: UInt64) throws {
        var driver = Driver(minimumPersistence: 1000)  // nothing is announced: no evaluation works them out itself
        var rng = SplitMix64(seed: seed)
        let categories = ["Assault", "Robbery", "Theft", "Break and Enter"]
        let centres = [GridCell(x: 4, y: 4), GridCell(x: 12, y: 9), GridCell(x: 15, y: 16)]
        var given: [(cell: GridCell, day: Int64, category: String)] = []
        var hotspotsChecked = 0
        for day in 0..<70 {
            var incidents: [(GridCell, Int, String)] = []
            for _ in 0..<Int.random(in: 4...14, using: &rng) {
                // The busy place moves every 20 days.
                let cell = Driver.randomCell(near: centres[(day / 20) % centres.count], percent: 60, using: &rng)
                incidents.append((cell, 1, categories.randomElement(using: &rng)!))
            }
            // The day's evaluation runs on its tick, before its incidents are counted.
            driver.runDay(incidents)
            let dayBucket = Driver.start(ofDay: day).milliseconds / Self.dayMilliseconds
            if let snapshot = driver.snapshots[day] {
                let end = snapshot.windowEndBucket
                for h in snapshot.hotspots {
                    #expect(h.categories.isEmpty, "no alert, so the evaluation left them out")
                    let cells = Set(h.cells)
                    var expected: [String: Int] = [:]
                    for g in given where cells.contains(g.cell) && g.day > end - 28 && g.day <= end {
                        expected[g.category, default: 0] += 1
                    }
                    let found = try #require(driver.engine.categories(ofHotspot: h))
                    #expect(Dictionary(uniqueKeysWithValues: found.map { ($0.category, $0.count) }) == expected, "day \(day) \(h.id)")
                    #expect(found.map(\.count) == found.map(\.count).sorted(by: >), "largest first")
                    #expect(found.reduce(0) { $0 + $1.count } == h.count)
                    hotspotsChecked += 1
                }
            }
            for (cell, _, category) in incidents { given.append((cell, dayBucket, category)) }
        }
        #expect(hotspotsChecked > 40, "\(hotspotsChecked)")
    }

    @Test("an announced hotspot keeps the categories its alert carried")
    func announcedHotspotKeepsItsAlertsCategories() throws {
        var driver = Driver()
        driver.runDay([(GridCell(x: 5, y: 5), 5, "Robbery"), (GridCell(x: 6, y: 5), 5, "Assault"), (GridCell(x: 5, y: 6), 5, "Assault")])
        driver.runDay()
        let opened = try #require(driver.alerts(.hotspotOpened).first?.alert.hotspot)
        let h = try #require(driver.snapshots[1]?.hotspots.first)
        #expect(opened.categories == [CategoryCount(category: "Assault", count: 10), CategoryCount(category: "Robbery", count: 5)])
        #expect(driver.engine.categories(ofHotspot: h) == opened.categories)
    }

    @Test("once the window's oldest day has expired from the counts, they are withheld rather than given short")
    func expiredOldestDayWithholdsThem() throws {
        var driver = Driver(minimumPersistence: 1000)
        // Day 0 (the oldest day of the window evaluated on day 28) and day 27: one hotspot.
        driver.runDay([(GridCell(x: 5, y: 5), 5, "Robbery"), (GridCell(x: 6, y: 5), 5, "Assault"), (GridCell(x: 5, y: 6), 5, "Assault")])
        driver.runDays(through: 26)
        driver.runDay([(GridCell(x: 6, y: 5), 5, "Assault"), (GridCell(x: 5, y: 6), 5, "Assault")])
        driver.runDay()  // day 28: the evaluation over days 0...27
        let h = try #require(driver.snapshots[28]?.hotspots.first { $0.cells.contains(GridCell(x: 5, y: 5)) })
        #expect(h.count == 25)
        #expect(
            driver.engine.categories(ofHotspot: h) == [
                CategoryCount(category: "Assault", count: 20), CategoryCount(category: "Robbery", count: 5)
            ])
        // Later that day the periodic expiry drops the keys whose newest event is on day 0: the
        // Robbery count of cell x5y5 is gone from the window counts, the hotspot's count is not.
        let expiredBefore = driver.engine.statistics.keysExpired
        let day28 = Driver.start(ofDay: 28)
        for k in 0..<IncidentEngine.expiryInterval {
            _ = driver.engine.process(
                Driver.incident("late-day-\(k)", Driver.outside, day28 + .hours(13) + .seconds(Int64(k)), category: "Tick"))
        }
        #expect(driver.engine.statistics.keysExpired > expiredBefore)
        #expect(driver.engine.hotspotSnapshot?.evaluatedAt == day28, "no evaluation since")
        #expect(driver.engine.categories(ofHotspot: h) == nil)
    }
}
