import Testing

@testable import VigilCore

@Suite("IncidentEngine")
struct IncidentEngineTests {
    let factory = IncidentFactory()

    /// An engine with only the count rule (no surge rule, no hotspots).
    func engine(
        window: EventDuration = .hours(24), threshold: Int = 4, cooldown: EventDuration = .hours(24),
        lateness: EventDuration = .hours(1), maxKeys: Int = 1_000_000
    ) -> IncidentEngine {
        IncidentEngine(
            configuration: EngineConfiguration(
                grid: factory.grid, allowedLateness: lateness,
                countRule: CountRuleConfiguration(window: window, resolution: .hours(1), threshold: threshold, cooldown: cooldown),
                surgeRule: nil, hotspots: nil, maxKeys: maxKeys))
    }

    /// Whether the window table holds the (category, cell) key.
    func holdsKey(_ engine: IncidentEngine, category: String, cell: GridCell = IncidentFactory.home) -> Bool {
        guard let id = engine.categories.existingID(for: category) else { return false }
        return engine.windows.slot(of: AggregateKey.categoryCell(id, cell)) != nil
    }

    // MARK: Late events

    @Test("an event 2 h behind the newest is late: counted in statistics only, state unchanged")
    func lateEvent() {
        var engine = engine()
        #expect(engine.process(factory.make("a", "2014-03-02T12:00:00Z")).countAlerts == [])
        let before = engine.statistics
        let beforeWatermark = engine.watermark
        #expect(engine.process(factory.make("late", "2014-03-02T10:00:00Z")) == .late(watermark: ts("2014-03-02T11:00:00Z")))
        #expect(engine.statistics.late == 1)
        #expect(engine.statistics.accepted == before.accepted && engine.statistics.keys == before.keys)
        #expect(engine.watermark == beforeWatermark)
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 1)
        // A late event in a new key creates no state (the 3 keys are Assault×cell, cell, Assault×neighbourhood).
        #expect(engine.process(factory.make("late2", "2014-03-02T09:00:00Z", category: "Robbery")).countAlerts == nil)
        #expect(engine.statistics.keys == 3 && engine.statistics.late == 2)
        #expect(engine.categories.existingID(for: "Robbery") == nil)
    }

    @Test("an event exactly at the watermark is not late")
    func atWatermark() {
        var engine = engine()
        _ = engine.process(factory.make("a", "2014-03-02T12:00:00Z"))
        #expect(engine.process(factory.make("b", "2014-03-02T11:00:00Z")).countAlerts == [])
        #expect(engine.process(factory.make("c", "2014-03-02T10:59:59.999Z")) == .late(watermark: ts("2014-03-02T11:00:00Z")))
    }

    @Test("late events never count toward alerts")
    func lateEventsDoNotCount() {
        var engine = engine(threshold: 2)
        _ = engine.process(factory.make("a", "2014-03-02T12:00:00Z"))
        for k in 0..<5 { _ = engine.process(factory.make("late\(k)", "2014-03-02T09:00:00Z")) }
        #expect(engine.statistics.alerts == 0 && engine.statistics.late == 5)
        #expect(engine.process(factory.make("b", "2014-03-02T12:30:00Z")).countAlerts?.map(\.count) == [2])
    }

    @Test("an event 30 min behind lands in its own bucket (exact window count)")
    func allowedLateness() throws {
        // One-hour windows make the bucket visible: the late events must not count with the 12:xx one.
        var engine = engine(window: .hours(1), threshold: 2, cooldown: EventDuration(milliseconds: 0))
        #expect(engine.process(factory.make("A", "2014-03-02T12:10:00Z")).countAlerts == [])
        #expect(engine.process(factory.make("B", "2014-03-02T11:40:00Z")).countAlerts == [])
        let alerts = try #require(engine.process(factory.make("C", "2014-03-02T11:50:00Z")).countAlerts)
        try #require(alerts.count == 1)
        #expect(alerts[0].count == 2)
        #expect(alerts[0].windowStart == ts("2014-03-02T11:00:00Z") && alerts[0].windowEnd == ts("2014-03-02T12:00:00Z"))
        #expect(alerts[0].incidentIDs == ["B", "C"])
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 1, "the 12:00 window holds only A")
        #expect(engine.statistics.accepted == 3 && engine.statistics.late == 0)
        // And the newest window still alerts on its own count.
        #expect(engine.process(factory.make("D", "2014-03-02T12:20:00Z")).countAlerts?.map(\.incidentIDs) == [["A", "D"]])
    }

    @Test("late-but-allowed events are exact in 24 h windows too")
    func allowedLatenessLongWindow() {
        var engine = engine()
        _ = engine.process(factory.make("A", "2014-03-02T12:59:00Z"))
        // 11:59 is in hour 11: the window ending 12:00 holds it and earlier events, not A.
        _ = engine.process(factory.make("B", "2014-03-02T11:59:00Z"))
        _ = engine.process(factory.make("C", "2014-03-02T12:01:00Z"))
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 3)
        let decision = engine.process(factory.make("D", "2014-03-02T11:59:30Z"))
        #expect(decision.countAlerts?.count == 0, "window ending 12:00 holds only B and D")
        let fourth = engine.process(factory.make("E", "2014-03-02T12:30:00Z"))
        #expect(fourth.countAlerts?.map(\.incidentIDs) == [["A", "B", "C", "D", "E"]])
        #expect(fourth.countAlerts?.map(\.count) == [5])
    }

    // MARK: Determinism

    private static func randomIncidents(seed: UInt64, count: Int, factory: IncidentFactory) -> [Incident] {
        var rng = SplitMix64(seed: seed)
        var time = ts("2014-03-02T00:00:00Z").milliseconds
        let categories = ["Assault", "Robbery", "Break and Enter"]
        return (0..<count).map { k in
            let roll = Int.random(in: 0..<100, using: &rng)
            let t: Int64
            if roll < 75 {
                time += Int64.random(in: 0...1_200_000, using: &rng)
                t = time
            } else if roll < 95 {
                t = time - Int64.random(in: 0...3_000_000, using: &rng)  // within lateness
            } else {
                t = time - Int64.random(in: 3_600_001...20_000_000, using: &rng)  // late
            }
            let cell = GridCell(x: 40 + Int32.random(in: -1...1, using: &rng), y: 60 + Int32.random(in: -1...1, using: &rng))
            return factory.make("r\(k)", Timestamp(milliseconds: t), category: categories.randomElement(using: &rng)!, cell: cell)
        }
    }

    @Test("two fresh engines fed the same incidents make identical decisions and byte-identical alert JSON")
    func deterministic() {
        let incidents = Self.randomIncidents(seed: 0xDE7E, count: 2000, factory: factory)
        var a = engine(window: .hours(6), threshold: 3, cooldown: .hours(2))
        var b = engine(window: .hours(6), threshold: 3, cooldown: .hours(2))
        var alerts: [Alert] = []
        var alertTotal = 0
        for incident in incidents {
            let da = a.process(incident)
            let db = b.process(incident)
            #expect(da == db)
            for (x, y) in zip(da.countAlerts ?? [], db.countAlerts ?? []) {
                #expect(AlertJSON.encode(x, detectedAt: nil) == AlertJSON.encode(y, detectedAt: nil))
            }
            alerts += da.countAlerts ?? []
            alertTotal += da.alerts?.count ?? 0
        }
        #expect(a.statistics == b.statistics)
        #expect(alerts.count > 20 && a.statistics.late > 0, "the sequence exercises alerts and lateness")
        #expect(a.statistics.alerts == alertTotal)

        // The id is a function of (category, cell, window end) for a fixed rule, and distinct keys get distinct ids.
        var idByKey: [String: String] = [:]
        for alert in alerts {
            let key = "\(alert.category ?? "")|\(alert.cell)|\(alert.windowEnd.milliseconds)"
            if let id = idByKey[key] { #expect(id == alert.id) } else { idByKey[key] = alert.id }
        }
        #expect(Set(idByKey.values).count == idByKey.count)
    }

    // MARK: State limits

    @Test("maxKeys: a key beyond the cap is counted as a cap hit and holds no state")
    func maxKeys() {
        // Every incident with a neighbourhood has 3 keys: category×cell, cell, category×neighbourhood.
        // A and B share the cell key: 3 + 2 keys fill the cap of 5 exactly.
        var engine = engine(maxKeys: 5)
        _ = engine.process(factory.make("a1", "2014-03-02T08:00:00Z", category: "A"))
        _ = engine.process(factory.make("b1", "2014-03-02T08:01:00Z", category: "B"))
        #expect(engine.statistics.capHits == 0 && engine.statistics.keys == 5)
        for k in 0..<4 {
            #expect(engine.process(factory.make("c\(k)", "2014-03-02T08:1\(k):00Z", category: "C")).countAlerts == [])
        }
        // C×cell and C×neighbourhood are refused for each of the 4 incidents; the cell key exists already.
        #expect(engine.statistics.capHits == 2 * 4 && engine.statistics.keys == 5 && engine.statistics.alerts == 0)
        #expect(!holdsKey(engine, category: "C"))
        #expect(engine.currentCount(category: "C", cell: IncidentFactory.home) == 0)
        // Keys already held keep working.
        for k in 2...4 { _ = engine.process(factory.make("a\(k)", "2014-03-02T09:0\(k):00Z", category: "A")) }
        #expect(engine.statistics.alerts == 1 && engine.currentCount(category: "A", cell: IncidentFactory.home) == 4)
        #expect(engine.statistics.accepted == 9)
    }

    @Test("maxKeys is a hard cap: the window table never holds more keys than maxKeys", arguments: [1, 2, 4, 7])
    func maxKeysIsHardCap(cap: Int) {
        var engine = engine(maxKeys: cap)
        var rng = SplitMix64(seed: 0xCA9 + UInt64(cap))
        let start = ts("2014-03-02T08:00:00Z")
        var most = 0
        for k in 0..<40 {
            let incident = factory.make(
                "k\(k)", start + .minutes(Int64(k)), category: ["A", "B", "C"].randomElement(using: &rng)!,
                cell: GridCell(x: 40 + Int32.random(in: 0...2, using: &rng), y: 60),
                neighbourhood: ["N1", "N2", nil].randomElement(using: &rng)!)
            _ = engine.process(incident)
            most = max(most, engine.statistics.keys)
        }
        #expect(most <= cap, "the table held \(most) keys with a cap of \(cap)")
        #expect(engine.statistics.capHits > 0)
    }

    @Test("statistics.alerts counts every alert returned, also when the category interner is full")
    func alertsCountedAtInternerCap() {
        // Hotspot alerts are evaluated before the incident's category is interned; an incident whose
        // category cannot be interned must still count the alerts it returns.
        let day = HotspotDriver.start(ofDay: 0)
        var engine = IncidentEngine(
            configuration: EngineConfiguration(
                grid: HotspotDriver.grid, windows: [WindowSpec(horizon: .days(1), resolution: .days(1))], countRule: nil, surgeRule: nil,
                hotspots: HotspotConfiguration(window: WindowSpec(horizon: .days(1), resolution: .days(1)), minimumPersistence: 1),
                maxKeys: 8))
        var returned = 0
        func feed(_ incident: Incident) { returned += engine.process(incident).alerts?.count ?? 0 }
        feed(HotspotDriver.incident("tick", HotspotDriver.outside, day + .hours(1)))
        for cell in [GridCell(x: 5, y: 5), GridCell(x: 6, y: 5), GridCell(x: 5, y: 6)] {
            for k in 0..<5 { feed(HotspotDriver.incident("\(cell)-\(k)", cell, day + .hours(10))) }
        }
        // Fill the category interner (the keys of these are refused: maxKeys is reached).
        for k in 0..<(Interner.capacity - 1) {
            feed(HotspotDriver.incident("f\(k)", HotspotDriver.outside, day + .hours(11), category: "f\(k)"))
        }
        #expect(engine.categories.count == Interner.capacity)
        // The next day's first incident runs the evaluation (a hotspot opens) and has a new category.
        feed(HotspotDriver.incident("new", HotspotDriver.outside, day + .days(1) + .hours(2), category: "Unseen"))
        #expect(returned == 1, "one hotspot_opened")
        #expect(engine.statistics.alerts == returned)
    }

    @Test("expiry: after more than 4096 events far in the future, idle keys are gone")
    func expiry() {
        var engine = engine()
        for k in 0..<10 {
            _ = engine.process(factory.make("old\(k)", "2014-03-02T08:00:00Z", category: "C\(k)"))
        }
        // 10 category×cell + 10 category×neighbourhood keys, and the shared cell key.
        #expect(engine.statistics.keys == 10 + 10 + 1)
        let future = ts("2014-06-10T00:00:00Z")
        for k in 0..<4100 {
            _ = engine.process(factory.make("new\(k)", future + .seconds(Int64(k))))
        }
        // The cell key stays (the new events use it); the 20 category keys of C0…C9 expire.
        #expect(engine.statistics.keysExpired == 20)
        #expect(engine.statistics.keys == 3)
        #expect(!holdsKey(engine, category: "C0") && holdsKey(engine, category: "Assault"))
        #expect(engine.currentCount(category: "C0", cell: IncidentFactory.home) == 0)
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 4100)
    }

    @Test("expiry keeps keys still in cooldown and keys with live windows")
    func expiryKeepsLiveKeys() {
        var engine = engine(cooldown: .days(365))
        for k in 0..<4 { _ = engine.process(factory.make("x\(k)", "2014-03-02T08:0\(k):00Z", category: "X")) }
        #expect(engine.statistics.alerts == 1)
        let future = ts("2014-06-10T00:00:00Z")
        _ = engine.process(factory.make("y", future - .hours(20), category: "Y"))  // inside the 24 h window
        for k in 0..<4100 { _ = engine.process(factory.make("n\(k)", future + .seconds(Int64(k)))) }
        // Only X×neighbourhood goes: it is idle and has no cooldown (the count rule's cooldown is
        // on X×cell, which is kept). Kept: X×cell, cell, Y×cell, Y×neighbourhood, Assault×cell, Assault×neighbourhood.
        #expect(engine.statistics.keysExpired == 1)
        #expect(engine.statistics.keys == 6)
        #expect(holdsKey(engine, category: "X"), "X×cell is cooling down")
        #expect(engine.currentCount(category: "Y", cell: IncidentFactory.home) == 1)
    }

    // MARK: Queries

    @Test("windowCounts reports every key family × horizon of an incident, as of its event time")
    func windowCounts() throws {
        var engine = engine()  // the count rule's 24h/1h is one of the 5 default horizons
        let t0 = ts("2014-03-02T08:00:00Z")
        _ = engine.process(factory.make("e0", t0 - .days(3)))
        _ = engine.process(factory.make("e1", t0))
        _ = engine.process(factory.make("e2", t0 + .minutes(20)))
        _ = engine.process(factory.make("e3", t0 + .minutes(30), category: "Robbery"))
        _ = engine.process(factory.make("e4", t0 + .minutes(40), neighbourhood: "Rexdale"))
        #expect(engine.windows.specs == WindowSpec.defaults)

        let probe = factory.make("q", t0 + .minutes(40))
        let counts = engine.windowCounts(for: probe)
        try #require(counts.count == 3 * 5)
        #expect(
            counts.map(\.family) == Array(repeating: .categoryCell, count: 5) + Array(repeating: .categoryNeighbourhood, count: 5)
                + Array(repeating: .cell, count: 5))
        #expect(counts.map(\.spec) == WindowSpec.defaults + WindowSpec.defaults + WindowSpec.defaults)
        // Horizons 15m/1m, 1h/5m, 24h/1h, 7d/6h, 28d/1d, ending in the bucket of 08:40.
        #expect(counts[0..<5].map(\.count) == [1, 3, 3, 4, 4], "Assault × x40y60: e4 | e1 e2 e4 | e1 e2 e4 | + e0 | + e0")
        #expect(counts[5..<10].map(\.count) == [0, 2, 2, 3, 3], "Assault × West Humber-Clairville: e1 e2, then e0")
        #expect(counts[10..<15].map(\.count) == [2, 4, 4, 5, 5], "all categories × x40y60: e3 e4 | e1…e4 | e1…e4 | + e0 | + e0")
        #expect(counts[0].category == "Assault" && counts[0].neighbourhood == nil && counts[0].cell == IncidentFactory.home)
        #expect(counts[5].category == "Assault" && counts[5].neighbourhood == "West Humber-Clairville" && counts[5].cell == nil)
        #expect(counts[10].category == nil && counts[10].neighbourhood == nil && counts[10].cell == IncidentFactory.home)

        // Without a neighbourhood there are two families; an unknown category has no keys at all.
        let noNeighbourhood = engine.windowCounts(for: factory.make("q2", t0 + .minutes(40), neighbourhood: nil))
        #expect(noNeighbourhood.map(\.family) == Array(repeating: .categoryCell, count: 5) + Array(repeating: .cell, count: 5))
        #expect(engine.windowCounts(for: factory.make("q3", t0, category: "Arson")) == [])
        // A neighbourhood never seen reports only the keys that exist.
        #expect(engine.windowCounts(for: factory.make("q4", t0 + .minutes(40), neighbourhood: "Elsewhere")).count == 10)
    }

    @Test("without rules the engine counts windows and tracks time but never alerts")
    func noRule() {
        var engine = IncidentEngine(configuration: EngineConfiguration(grid: factory.grid, countRule: nil, surgeRule: nil, hotspots: nil))
        for k in 0..<10 { #expect(engine.process(factory.make("n\(k)", "2014-03-02T08:0\(k):00Z")).alerts == []) }
        // The window table is kept for queries whatever the rules: Assault×cell, cell, Assault×neighbourhood.
        #expect(engine.statistics.accepted == 10 && engine.statistics.keys == 3 && engine.statistics.alerts == 0)
        #expect(engine.currentCount(category: "Assault", cell: IncidentFactory.home) == 0, "no count rule window to report")
        #expect(engine.finish() == [] && engine.hotspotSnapshot == nil)
        #expect(engine.process(factory.make("late", "2014-03-02T06:00:00Z")) == .late(watermark: ts("2014-03-02T07:09:00Z")))
    }
}
