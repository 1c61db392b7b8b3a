import Testing

@testable import VigilCore

@Suite("CountThresholdRule through IncidentEngine")
struct CountThresholdRuleTests {
    let factory = IncidentFactory()
    var grid: MetricGrid { factory.grid }

    /// An engine with only the count rule (no surge rule, no hotspots).
    func engine(
        window: EventDuration = .hours(24), resolution: EventDuration = .hours(1), threshold: Int = 4,
        cooldown: EventDuration = .hours(24), lateness: EventDuration = .hours(1), maxKeys: Int = 1_000_000
    ) -> IncidentEngine {
        IncidentEngine(
            configuration: EngineConfiguration(
                grid: grid, allowedLateness: lateness,
                countRule: CountRuleConfiguration(window: window, resolution: resolution, threshold: threshold, cooldown: cooldown),
                surgeRule: nil, hotspots: nil, maxKeys: maxKeys))
    }

    @Test("four Assaults in one cell within 24 h: one alert on the fourth, with the right window and evidence")
    func fourInOneCell() throws {
        var engine = engine()
        let incidents = [
            factory.make("a1", "2014-03-02T08:00:00Z"),
            factory.make("a2", "2014-03-02T10:00:00Z"),
            factory.make("a3", "2014-03-02T13:00:00Z"),
            factory.make("a4", "2014-03-02T15:30:00Z", neighbourhood: "Rexdale")
        ]
        for incident in incidents.dropLast() {
            #expect(engine.process(incident).countAlerts == [])
        }
        let alerts = try #require(engine.process(incidents[3]).countAlerts)
        try #require(alerts.count == 1)
        let alert = alerts[0]
        #expect(alert.count == 4 && alert.threshold == 4)
        #expect(alert.kind == .countThreshold && alert.rule == "category_cell_count" && alert.rule == CountThresholdRule.ruleName)
        #expect(alert.severity == .medium)
        #expect(alert.eventTime == ts("2014-03-02T15:30:00Z"))
        #expect(alert.windowEnd == ts("2014-03-02T16:00:00Z"), "next hour boundary after the 4th event's hour")
        #expect(alert.windowStart == ts("2014-03-01T16:00:00Z"))
        #expect(alert.incidentIDs == ["a1", "a2", "a3", "a4"])
        #expect(alert.category == "Assault" && alert.cell == IncidentFactory.home)
        #expect(alert.neighbourhood == "Rexdale", "from the triggering incident")
        let centre = grid.centre(of: IncidentFactory.home)
        #expect(alert.latitude == centre.latitude && alert.longitude == centre.longitude && alert.cellSize == 250)
        #expect(alert.partitionKey == "x40y60")
        #expect(alert.id.hasPrefix("cnt-") && alert.id.count == 20)
        // Window-table keys: Assault×x40y60, all-categories×x40y60, Assault×West Humber-Clairville, Assault×Rexdale.
        #expect(engine.statistics.alerts == 1 && engine.statistics.accepted == 4 && engine.statistics.keys == 4)
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 4)
    }

    /// Pins the alert id: it is derived from (rule, category, cell, window end, window) with FNV-1a,
    /// and consumers deduplicate by it, so it must not change between versions.
    @Test("alert ids are stable across versions (pinned value)")
    func pinnedAlertID() throws {
        var engine = engine()
        var last: [Alert] = []
        for (k, time) in ["08:00", "10:00", "13:00", "15:30"].enumerated() {
            last = try #require(engine.process(factory.make("a\(k + 1)", "2014-03-02T\(time):00Z")).countAlerts)
        }
        #expect(last.map(\.id) == ["cnt-a6077087a63ad13d"])
    }

    @Test("cooldown: a fifth the same day does not alert; after 24 h it alerts again only with ≥ threshold in the window")
    func cooldown() throws {
        var engine = engine()
        var first: Alert?
        for (k, time) in ["08:00", "10:00", "13:00", "15:30"].enumerated() {
            first = engine.process(factory.make("a\(k + 1)", "2014-03-02T\(time):00Z")).countAlerts?.first ?? first
        }
        let firstAlert = try #require(first)
        #expect(engine.process(factory.make("a5", "2014-03-02T20:00:00Z")).countAlerts == [], "cooldown")
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 5)
        // 24 h after the alert the cooldown is over, but the window (03-02 16:00, 03-03 16:00] holds only 2, then 3.
        #expect(engine.process(factory.make("b1", "2014-03-03T15:30:00Z")).countAlerts == [])
        #expect(engine.process(factory.make("b2", "2014-03-03T16:10:00Z")).countAlerts == [])
        // Window [03-02 18:00, 03-03 18:00) holds a5, b1, b2, b3: alert again.
        let second = try #require(engine.process(factory.make("b3", "2014-03-03T17:05:00Z")).countAlerts)
        try #require(second.count == 1)
        #expect(second[0].count == 4)
        #expect(second[0].windowStart == ts("2014-03-02T18:00:00Z") && second[0].windowEnd == ts("2014-03-03T18:00:00Z"))
        #expect(second[0].incidentIDs == ["a5", "b1", "b2", "b3"])
        #expect(second[0].id != firstAlert.id, "different window, different id")
        #expect(engine.statistics.alerts == 2)
    }

    @Test("cooldown ends exactly cooldown after the last alert's event time")
    func cooldownBoundary() {
        var engine = engine(window: .hours(48))
        for (k, time) in ["00:00", "01:00", "02:00"].enumerated() {
            #expect(engine.process(factory.make("a\(k)", "2014-03-02T\(time):00Z")).countAlerts == [])
        }
        #expect(engine.process(factory.make("a3", "2014-03-02T03:00:00Z")).countAlerts?.count == 1)
        #expect(engine.process(factory.make("a4", "2014-03-03T02:59:59.999Z")).countAlerts == [])
        #expect(engine.process(factory.make("a5", "2014-03-03T03:00:00Z")).countAlerts?.count == 1)
    }

    @Test(
        "the window start is inclusive and the window end exclusive",
        arguments: [
            ("2014-03-01T16:00:00Z", true), ("2014-03-01T15:59:59.999Z", false)
        ])
    func windowStartBoundary(firstTime: String, alerts: Bool) {
        var engine = engine()
        _ = engine.process(factory.make("a1", firstTime))
        for (k, time) in ["2014-03-02T01:00:00Z", "2014-03-02T09:00:00Z"].enumerated() {
            _ = engine.process(factory.make("a\(k + 2)", time))
        }
        let decision = engine.process(factory.make("a4", "2014-03-02T15:59:59.999Z"))
        #expect(decision.countAlerts?.count == (alerts ? 1 : 0))
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == (alerts ? 4 : 3))
    }

    @Test("another category or a cell 300 m away does not count; 100 m away in the same cell does")
    func keysAreSeparate() {
        var engine = engine()
        let base = ["08:00", "10:00", "13:00"]
        for (k, time) in base.enumerated() {
            _ = engine.process(factory.make("a\(k)", "2014-03-02T\(time):00Z"))
        }
        #expect(engine.process(factory.make("r", "2014-03-02T14:00:00Z", category: "Robbery")).countAlerts == [])
        #expect(engine.process(factory.make("far", "2014-03-02T14:10:00Z", east: 300)).countAlerts == [])
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 3)
        #expect(engine.currentCount(category: "Robbery", cell: IncidentFactory.home) == 1)
        #expect(engine.currentCount(category: "Assault", cell: GridCell(x: 41, y: 60)) == 1)
        // Three (category, cell) keys as before, plus the all-categories cells x40y60 and x41y60 and the
        // (category, neighbourhood) keys Assault×WHC and Robbery×WHC.
        #expect(engine.statistics.keys == 3 + 2 + 2)
        let near = engine.process(factory.make("near", "2014-03-02T14:30:00Z", east: 100))
        #expect(near.countAlerts?.map(\.incidentIDs) == [["a0", "a1", "a2", "near"]])
    }

    @Test("severity is high when count >= 2 × threshold")
    func severity() {
        var engine = engine(threshold: 3, cooldown: EventDuration(milliseconds: 0))
        var seen: [(Int, Alert.Severity)] = []
        for k in 0..<7 {
            let alerts = engine.process(factory.make("s\(k)", Timestamp(seconds: 1_393_765_200 + Int64(k) * 60))).countAlerts ?? []
            seen += alerts.map { ($0.count, $0.severity) }
        }
        #expect(seen.map(\.0) == [3, 4, 5, 6, 7])
        #expect(seen.map(\.1) == [.medium, .medium, .medium, .high, .high])
        #expect(Alert.Severity.low < .medium && Alert.Severity.medium < .high)
    }

    @Test("evidence keeps the most recent maxEvidence ids in the window")
    func evidenceLimit() throws {
        var engine = engine(threshold: 2, cooldown: EventDuration(milliseconds: 0))
        var last: Alert?
        for k in 0..<20 {
            last = engine.process(factory.make("e\(k)", Timestamp(seconds: 1_393_765_200 + Int64(k)))).countAlerts?.first ?? last
        }
        let alert = try #require(last)
        #expect(alert.count == 20)
        #expect(alert.incidentIDs == (4..<20).map { "e\($0)" })
    }

    @Test("alert ids differ between windows, categories, cells and window lengths")
    func distinctIDs() throws {
        func firstAlert(
            category: String = "Assault", cell: GridCell = IncidentFactory.home, day: Int = 2,
            window: EventDuration = .hours(24)
        ) throws -> Alert {
            var engine = engine(window: window)
            var found: Alert?
            for (k, time) in ["08:00", "10:00", "13:00", "15:30"].enumerated() {
                found =
                    engine.process(factory.make("i\(k)", "2014-03-0\(day)T\(time):00Z", category: category, cell: cell)).countAlerts?.first
            }
            return try #require(found)
        }
        let ids = [
            try firstAlert().id,
            try firstAlert(category: "Robbery").id,
            try firstAlert(cell: GridCell(x: 41, y: 60)).id,
            try firstAlert(cell: GridCell(x: 40, y: 61)).id,
            try firstAlert(day: 3).id,
            try firstAlert(window: .hours(12)).id
        ]
        #expect(Set(ids).count == ids.count, "\(ids)")
        #expect(try firstAlert().id == ids[0], "same input, same id")
    }

    @Test("configuration problems")
    func configurationProblems() {
        #expect(CountRuleConfiguration().problems().isEmpty)
        #expect(CountRuleConfiguration().windowBuckets == 24)
        let bad = CountRuleConfiguration(
            window: .minutes(90), resolution: .hours(1), threshold: 1, cooldown: EventDuration(milliseconds: -1))
        #expect(Set(bad.problems().map(\.key)) == ["window", "threshold", "cooldown"])
        // Window and resolution problems come from `WindowSpec.problem`, under the key "window".
        let zeroResolution = CountRuleConfiguration(resolution: EventDuration(milliseconds: 0)).problems()
        #expect(zeroResolution.map(\.key) == ["window"])
        #expect(zeroResolution.first?.message == WindowSpec(horizon: .hours(24), resolution: EventDuration(milliseconds: 0)).problem)
        let tooFine = CountRuleConfiguration(window: .days(30), resolution: .minutes(1)).problems()
        #expect(tooFine.map(\.key) == ["window"])
        #expect(tooFine.first?.message.contains("43200 buckets") == true, "\(tooFine)")
    }
}
