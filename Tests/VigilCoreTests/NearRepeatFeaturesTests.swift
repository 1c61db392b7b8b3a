import Testing

@testable import VigilCore

@Suite("Near-repeat features and labels")
struct NearRepeatFeaturesTests {
    let factory = IncidentFactory()

    /// A seeded stream around `IncidentFactory.home`: bursts and background over ~10 weeks, so
    /// windows, surges (8 trailing weeks) and Gi* hotspots all have something to say.
    func stream(seed: UInt64, count: Int = 2500) -> [Incident] {
        var rng = SplitMix64(seed: seed)
        let start = ts("2014-03-01T00:00:00Z").milliseconds
        let span: Int64 = 70 * 86_400_000
        let categories = ["Assault", "Robbery", "Break and Enter"]
        let premises = ["House", "Apartment", "Outside"]
        let neighbourhoods = ["West Humber-Clairville", "Rexdale-Kipling", nil]
        var out: [Incident] = []
        for i in 0..<count {
            let t = start + Int64.random(in: 0..<span, using: &rng)
            let cell = GridCell(
                x: IncidentFactory.home.x + Int32.random(in: -3...3, using: &rng),
                y: IncidentFactory.home.y + Int32.random(in: -3...3, using: &rng))
            var incident = factory.make(
                "syn-\(i)", Timestamp(milliseconds: t), category: categories.randomElement(using: &rng)!,
                cell: cell, east: Double.random(in: -100...100, using: &rng),
                neighbourhood: neighbourhoods.randomElement(using: &rng)!)
            incident.premises = premises.randomElement(using: &rng)!
            out.append(incident)
        }
        return out.sorted { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
    }

    func features(_ incidents: [Incident], layout: NearRepeatFeatures, configuration: EngineConfiguration) -> [[UInt64]] {
        var engine = IncidentEngine(configuration: configuration)
        var row: [Double] = []
        var rows: [[UInt64]] = []
        for incident in incidents {
            if case .accepted = engine.process(incident, recording: layout, into: &row) { rows.append(row.map(\.bitPattern)) }
        }
        return rows
    }

    @Test("no look-ahead: an incident's features are unchanged when every later incident is removed")
    func noLookAhead() {
        let configuration = EngineConfiguration(grid: factory.grid)
        let layout = NearRepeatFeatures(configuration: configuration, categories: ["Assault", "Robbery"], premises: ["House", "Outside"])
        let incidents = stream(seed: 42)
        let full = features(incidents, layout: layout, configuration: configuration)
        #expect(full.count == incidents.count)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<4 {
            let k = Int.random(in: 1..<incidents.count, using: &rng)
            let prefix = features(Array(incidents[..<k]), layout: layout, configuration: configuration)
            #expect(prefix == Array(full[..<k]), "prefix of \(k) incidents")
        }
        // The stream exercises every part of the vector (not a vacuous equality).
        let names = layout.names
        for name in ["nbr_28d", "cat_nbhd_7d", "hours_since_nbr", "surge_expected", "hot_cell", "hotspot_cells"] {
            let i = names.firstIndex(of: name)!
            #expect(full.contains { Double(bitPattern: $0[i]) > 0 }, "\(name) is non-zero somewhere")
        }
    }

    @Test("window counts equal a brute-force count of the earlier incidents, also on bucket boundaries")
    func countsAgainstBruteForce() throws {
        let configuration = EngineConfiguration(grid: factory.grid)
        let layout = NearRepeatFeatures(configuration: configuration, categories: [], premises: [])
        var rng = SplitMix64(seed: 77)
        let start = ts("2014-03-01T00:00:00Z").milliseconds
        let minute: Int64 = 60_000
        // Whole minutes, so that many incidents (and newest events) fall exactly on the first or
        // last minute of a 5-minute, hour, 6-hour or day bucket; bursts make short windows count.
        var incidents: [Incident] = []
        for i in 0..<1200 {
            let base = Int64.random(in: 0..<(40 * 24 * 60), using: &rng)
            let step = [1, 5, 60, 360, 1440][Int.random(in: 0..<5, using: &rng)]
            let t = start + (base / Int64(step) * Int64(step) + Int64(i % 3)) * minute
            let cell = GridCell(
                x: IncidentFactory.home.x + Int32.random(in: -2...2, using: &rng),
                y: IncidentFactory.home.y + Int32.random(in: -2...2, using: &rng))
            incidents.append(
                factory.make("b-\(i)", Timestamp(milliseconds: t), category: ["Assault", "Robbery"][i % 2], cell: cell))
        }
        incidents.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        var engine = IncidentEngine(configuration: configuration)
        var row: [Double] = []
        let names = layout.names
        var earlier: [(cell: GridCell, category: String, time: Int64)] = []
        var nonZero = Set<String>()
        for incident in incidents {
            guard case .accepted = engine.process(incident, recording: layout, into: &row) else { continue }
            let cell = configuration.grid.cell(latitude: incident.latitude, longitude: incident.longitude)
            let t = incident.eventTime.milliseconds
            for spec in configuration.windows {
                let resolution = spec.resolution.milliseconds
                let end = floorDivide(t, resolution)
                let inWindow = earlier.filter {
                    let b = floorDivide($0.time, resolution)
                    return b > end - Int64(spec.buckets) && b <= end
                }
                let near = inWindow.filter { abs($0.cell.x - cell.x) <= 1 && abs($0.cell.y - cell.y) <= 1 }
                let expected: [String: Int] = [
                    "cell": near.filter { $0.cell == cell }.count,
                    "nbr": near.count,
                    "cat_cell": near.filter { $0.cell == cell && $0.category == incident.category }.count,
                    "cat_nbr": near.filter { $0.category == incident.category }.count
                ]
                for (family, count) in expected {
                    let name = "\(family)_\(spec.horizon)"
                    let value = row[try #require(names.firstIndex(of: name))]
                    #expect(value == Double(count), "\(incident.id) \(name)")
                    if count > 0 { nonZero.insert(name) }
                }
            }
            earlier.append((cell, incident.category, t))
        }
        // Not vacuous: every family and horizon counted something somewhere.
        #expect(nonZero.count == 4 * configuration.windows.count, "\(nonZero.sorted())")
    }

    @Test("an incident does not count itself; the next one at the same place sees it")
    func excludesItself() throws {
        let configuration = EngineConfiguration(grid: factory.grid)
        let layout = NearRepeatFeatures(configuration: configuration, categories: ["Assault"], premises: ["House"])
        var engine = IncidentEngine(configuration: configuration)
        var row: [Double] = []
        _ = engine.process(factory.make("a", "2014-03-02T08:00:00Z"), recording: layout, into: &row)
        let names = layout.names
        func value(_ name: String) -> Double { row[names.firstIndex(of: name)!] }
        #expect(value("cell_15m") == 0 && value("nbr_28d") == 0 && value("cat_cell_1d") == 0)
        #expect(value("hours_since_cell").isNaN)
        #expect(value("category=Assault") == 1 && value("premises=House") == 1)
        #expect(value("hour_utc") == 8 && value("day_of_week_utc") == 6 && value("month_utc") == 3)  // a Sunday in March
        _ = engine.process(factory.make("b", "2014-03-02T10:00:00Z", category: "Robbery"), recording: layout, into: &row)
        #expect(value("cell_1d") == 1 && value("cat_cell_1d") == 0 && value("nbr_1d") == 1)
        #expect(value("hours_since_cell") == 2 && value("category=Assault") == 0)
    }

    @Test("layouts follow the configuration; a model's names must match it exactly")
    func matching() throws {
        let configuration = EngineConfiguration(grid: factory.grid)
        let layout = NearRepeatFeatures(configuration: configuration, categories: ["Assault", "Robbery"], premises: ["House"])
        #expect(try NearRepeatFeatures.matching(layout.names, configuration: configuration) == layout)
        var swapped = layout.names
        swapped.swapAt(3, 4)
        #expect(throws: ModelError.self) { try NearRepeatFeatures.matching(swapped, configuration: configuration) }
        let noSurge = EngineConfiguration(grid: factory.grid, surgeRule: nil)
        #expect(throws: ModelError.self) { try NearRepeatFeatures.matching(layout.names, configuration: noSurge) }
        #expect(!NearRepeatFeatures(configuration: noSurge, categories: [], premises: []).names.contains("surge_count"))
    }

    @Test("labels look only forward, within the radius, excluding the same instant")
    func labels() {
        let incidents = [
            factory.make("a", "2014-03-02T08:00:00Z"),
            factory.make("same-instant", "2014-03-02T08:00:00Z", east: 10),
            factory.make("far", "2014-03-02T09:00:00Z", cell: GridCell(x: 60, y: 60)),
            factory.make("near-later", "2014-03-04T08:00:00Z", east: 200),
            factory.make("too-late", "2014-03-08T08:00:00Z")
        ]
        let labels = NearRepeatLabels.compute(incidents, grid: factory.grid, radius: 250, horizon: .hours(72))
        #expect(labels.label == [true, true, false, false, false])
        #expect(labels.censored == [false, false, false, false, true])
    }
}
