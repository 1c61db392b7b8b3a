import Testing

@testable import VigilCore

/// Issue 12, "surge warm-up bypassed": the guard keyed off the first accepted event, so a
/// partition whose first record is decades old looked warmed up from day one.
@Suite("Surge warm-up counts continuous history")
struct SurgeWarmUpTests {
    let factory = IncidentFactory()
    static let day0 = ts("2024-01-01T00:00:00Z")

    func burst(_ engine: inout IncidentEngine) -> Int {
        let start = Self.day0 + .hours(10)
        var alerts = 0
        for n in 0..<8 {
            let decision = engine.process(factory.make("s\(n)", start + .minutes(Int64(n) * 20), neighbourhood: "Rexdale"))
            alerts += decision.alerts?.filter { $0.kind == .surge }.count ?? 0
        }
        return alerts
    }

    @Test func aDecadesOldFirstRecordDoesNotCountAsHistory() {
        var engine = IncidentEngine(configuration: EngineConfiguration(grid: factory.grid, countRule: nil, hotspots: nil))
        _ = engine.process(factory.make("ancient", Self.day0 - .days(20 * 365), neighbourhood: "Rexdale"))
        #expect(burst(&engine) == 0, "no baseline weeks were seen: no surge can be judged")
    }

    @Test func continuousHistoryStillWarmsUp() {
        var engine = IncidentEngine(configuration: EngineConfiguration(grid: factory.grid, countRule: nil, hotspots: nil))
        // One incident a week elsewhere for 9 weeks: history is continuous, the baseline is empty.
        for w in 1...9 { _ = engine.process(factory.make("bg\(w)", Self.day0 - .days(Int64(7 * (10 - w))), neighbourhood: "Annex")) }
        #expect(burst(&engine) == 1, "warmed up: the burst against an empty baseline is a surge")
    }
}
