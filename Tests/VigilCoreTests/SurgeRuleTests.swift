import Foundation
import Testing

@testable import VigilCore

@Suite("SurgeRule through IncidentEngine")
struct SurgeRuleTests {
    let factory = IncidentFactory()
    /// A Monday.
    static let day0 = ts("2024-01-01T00:00:00Z")
    static let neighbourhood = "Rexdale"

    /// An engine with only the surge rule.
    func engine(_ surge: SurgeRuleConfiguration = SurgeRuleConfiguration()) -> IncidentEngine {
        IncidentEngine(configuration: EngineConfiguration(grid: factory.grid, countRule: nil, surgeRule: surge, hotspots: nil))
    }

    func make(_ id: String, _ time: Timestamp, neighbourhood: String? = SurgeRuleTests.neighbourhood) -> Incident {
        factory.make(id, time, neighbourhood: neighbourhood)
    }

    /// Feeds `incidents`, returning (index, alert) for every alert.
    static func feed(_ engine: inout IncidentEngine, _ incidents: [Incident]) -> [(index: Int, alert: Alert)] {
        var out: [(Int, Alert)] = []
        for (k, incident) in incidents.enumerated() {
            let decision = engine.process(incident)
            #expect(decision.alerts != nil, "\(incident.id) is not late")
            out += (decision.alerts ?? []).map { (k, $0) }
        }
        return out
    }

    @Test("a steady background, then 8 incidents in 3 hours: exactly one surge alert, against the seasonal mean")
    func surgeOverSteadyBackground() throws {
        var engine = engine()
        // One incident a day at 09:00 for 10 weeks: every 6-hour window ending 09:00…14:59 holds one.
        let background = (0...70).map { make("bg\($0)", Self.day0 + .days(Int64($0)) + .hours(9)) }
        #expect(Self.feed(&engine, background).isEmpty)
        // Day 70, 10:00 to 12:20, every 20 minutes.
        let burstStart = Self.day0 + .days(70) + .hours(10)
        let burst = (0..<8).map { make("s\($0)", burstStart + .minutes(Int64($0) * 20)) }
        let alerts = Self.feed(&engine, burst)
        try #require(alerts.count == 1)
        let (index, alert) = alerts[0]
        // Window (06:00, 12:00] holds the 09:00 background and the burst: 1 + 6 = 7 at 11:40, the first
        // count with P(X ≥ k | 1) ≤ 1e-4 (P(X ≥ 6 | 1) ≈ 5.9e-4, P(X ≥ 7 | 1) ≈ 8.3e-5).
        #expect(index == 5 && alert.eventTime == burstStart + .minutes(100))
        #expect(alert.kind == .surge && alert.rule == "category_neighbourhood_surge" && alert.id.hasPrefix("srg-"))
        #expect(alert.count == 7 && alert.threshold == nil && alert.hotspot == nil)
        let surge = try #require(alert.surge)
        #expect(surge.expected == 1.0, "the same 6 hours in each of the 8 previous weeks held one incident")
        #expect(surge.trailingWeeks == 8)
        #expect(surge.pValue == PoissonTail.upper(7, mean: 1.0) && surge.pValue < 1e-4 && surge.pValue > 1e-6)
        #expect(alert.severity == .medium, "p > pValue / 100")
        #expect(alert.category == "Assault" && alert.neighbourhood == Self.neighbourhood && alert.cell == IncidentFactory.home)
        #expect(alert.windowStart == Self.day0 + .days(70) + .hours(6) && alert.windowEnd == Self.day0 + .days(70) + .hours(12))
        #expect(alert.incidentIDs == ["bg70", "s0", "s1", "s2", "s3", "s4", "s5"])
        #expect(engine.statistics.alerts == 1)

        let json = try #require(try JSONSerialization.jsonObject(with: Data(AlertJSON.encode(alert, detectedAt: nil))) as? [String: Any])
        #expect(json["kind"] as? String == "surge")
        let key = try #require(json["key"] as? [String: Any])
        #expect(key["neighbourhood"] as? String == Self.neighbourhood && key["category"] as? String == "Assault" && key["cell"] == nil)
        let evidence = try #require(json["evidence"] as? [String: Any])
        #expect((evidence["expected"] as? NSNumber)?.doubleValue == 1.0 && (evidence["trailing_weeks"] as? NSNumber)?.intValue == 8)
        #expect((evidence["p_value"] as? NSNumber)?.doubleValue.isFinite == true && evidence["threshold"] == nil)
    }

    @Test("no alert before trailingWeeks of stream history; the first incident at 8 weeks alerts")
    func needsHistory() throws {
        var engine = engine()
        let t0 = Self.day0 + .hours(9)
        #expect(Self.feed(&engine, [make("first", t0, neighbourhood: "Elsewhere")]).isEmpty)
        let eightWeeks = EventDuration.days(56)
        // 10 in 90 minutes, far above the 0.5 floor, ending 1 ms before 8 weeks of history.
        let early =
            (0..<10).map { make("e\($0)", t0 + eightWeeks - .hours(2) + .minutes(Int64($0) * 10)) }
            + [make("edge", t0 + eightWeeks - EventDuration(milliseconds: 1))]
        #expect(Self.feed(&engine, early).isEmpty, "under 8 weeks of history")
        let alerts = Self.feed(&engine, [make("at", t0 + eightWeeks)])
        try #require(alerts.count == 1)
        #expect(alerts[0].alert.count == 12)
        #expect(alerts[0].alert.surge?.expected == 0.5, "no history for the key: the minimumExpected floor")
        #expect(alerts[0].alert.severity == .high, "P(X ≥ 12 | 0.5) ≪ 1e-6")
    }

    @Test("minimumCount: no alert below it, whatever the p-value", arguments: [(10, 1e-4), (3, 0.4)])
    func minimumCount(minimum: Int, pValue: Double) throws {
        var engine = engine(SurgeRuleConfiguration(trailingWeeks: 1, minimumCount: minimum, pValue: pValue))
        let t0 = Self.day0 + .hours(9)
        #expect(Self.feed(&engine, [make("first", t0, neighbourhood: "Elsewhere")]).isEmpty)
        // Below the minimum the counts are already significant …
        #expect(PoissonTail.upper(minimum - 1, mean: 0.5) <= pValue)
        let burst = (0..<12).map { make("m\($0)", t0 + .days(8) + .minutes(Int64($0) * 5)) }
        let alerts = Self.feed(&engine, burst)
        // … but only the minimum-th incident alerts (then the 24 h cooldown holds).
        try #require(alerts.count == 1)
        #expect(alerts[0].index == minimum - 1 && alerts[0].alert.count == minimum)
    }

    @Test("cooldown: alerts at least cooldown apart, and again exactly when it ends")
    func cooldown() throws {
        var engine = engine(SurgeRuleConfiguration(trailingWeeks: 1, cooldown: .hours(3)))
        let t0 = Self.day0 + .hours(9)
        #expect(Self.feed(&engine, [make("first", t0, neighbourhood: "Elsewhere")]).isEmpty)
        let start = t0 + .days(8)
        let stream = (0...60).map { make("c\($0)", start + .minutes(Int64($0) * 10)) }  // 10 hours, every 10 min
        let alerts = Self.feed(&engine, stream)
        // First at the 6th incident (P(X ≥ 6 | 0.5) ≈ 1.4e-5), then every 3 hours.
        #expect(alerts.map(\.index) == [5, 23, 41, 59])
        #expect(alerts.map(\.alert.eventTime) == [0, 3, 6, 9].map { start + .minutes(50) + .hours(Int64($0)) })
        #expect(Set(alerts.map(\.alert.id)).count == 4, "different windows, different ids")
        // Another neighbourhood is not in this one's cooldown.
        let other = (0..<6).map { make("o\($0)", start + .minutes(9 * 60 + 55) + .seconds(Int64($0)), neighbourhood: "Other") }
        #expect(Self.feed(&engine, other).map(\.index) == [5])
    }

    @Test("an incident without a neighbourhood never surges")
    func noNeighbourhood() {
        var engine = engine()
        let background = (0...70).map { make("bg\($0)", Self.day0 + .days(Int64($0)) + .hours(9), neighbourhood: nil) }
        let burst = (0..<30).map { make("s\($0)", Self.day0 + .days(70) + .hours(10) + .minutes(Int64($0) * 5), neighbourhood: nil) }
        #expect(Self.feed(&engine, background + burst).isEmpty)
        #expect(engine.statistics.keys == 2, "category × cell and cell only")
        #expect(engine.statistics.capHits == 0 && engine.statistics.accepted == 101)
    }

    @Test("configuration problems")
    func configurationProblems() {
        #expect(SurgeRuleConfiguration().problems().isEmpty)
        let bad = SurgeRuleConfiguration(
            window: .minutes(90), trailingWeeks: 0, minimumCount: 1, minimumExpected: 0,
            pValue: 0.5, cooldown: EventDuration(milliseconds: -1))
        #expect(bad.problems().map(\.key) == ["window", "trailing_weeks", "minimum_count", "minimum_expected", "p_value", "cooldown"])
        #expect(SurgeRuleConfiguration(window: .days(8)).problems().map(\.key) == ["window"])
        #expect(SurgeRuleConfiguration(window: .days(7), trailingWeeks: 52).problems().isEmpty)
        #expect(SurgeRuleConfiguration(minimumExpected: .nan).problems().map(\.key) == ["minimum_expected"])
    }
}
