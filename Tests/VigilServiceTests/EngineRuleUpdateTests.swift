import Testing
import VigilCore

@Suite("engine rule updates on reload")
struct EngineRuleUpdateTests {
    static let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11))

    static func incident(_ id: String, hour: Int64) -> Incident {
        Incident(
            id: id, eventTime: Timestamp(seconds: 1_614_816_000 + hour * 3600), category: "Assault",
            latitude: 43.65, longitude: -79.38)
    }

    @Test func aNewThresholdAppliesToTheExistingWindowWithoutLosingCounts() {
        let config = EngineConfiguration(
            grid: Self.grid,
            countRule: CountRuleConfiguration(window: .hours(24), resolution: .hours(1), threshold: 5, cooldown: .hours(24)),
            surgeRule: nil, hotspots: nil)
        var engine = IncidentEngine(configuration: config)
        for h in 0..<3 { _ = engine.process(Self.incident("i\(h)", hour: Int64(h))) }
        var lowered = config
        lowered.countRule?.threshold = 4
        let updated = engine.updateRules(lowered)
        #expect(updated)
        guard case .accepted(let alerts) = engine.process(Self.incident("i3", hour: 3)) else {
            Issue.record("late")
            return
        }
        #expect(alerts.count == 1 && alerts.first?.count == 4 && alerts.first?.threshold == 4)
    }

    @Test func structuralChangesAreNotTakenInPlace() {
        let config = EngineConfiguration(grid: Self.grid, surgeRule: nil, hotspots: nil)
        var engine = IncidentEngine(configuration: config)
        var other = config
        other.countRule?.window = .hours(12)
        let windowChange = engine.updateRules(other)
        other = config
        other.allowedLateness = .hours(2)
        let latenessChange = engine.updateRules(other)
        #expect(!windowChange && !latenessChange)
        #expect(engine.configuration == config)
    }
}
