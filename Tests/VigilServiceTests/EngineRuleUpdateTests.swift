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

    /// An engine that does not publish count or surge alerts keeps exactly the state of one that
    /// does (counts, cooldowns, hence which keys expire), records no citations, and refuses a
    /// rule update that starts publishing them (the citations of their open windows are missing).
    @Test func unpublishedCountAndSurgeAlertsKeepTheStateAndRefuseToStartInPlace() {
        var config = EngineConfiguration(
            grid: Self.grid,
            countRule: CountRuleConfiguration(window: .hours(24), resolution: .hours(1), threshold: 3, cooldown: .hours(6)),
            surgeRule: SurgeRuleConfiguration(), hotspots: nil)
        var publishing = IncidentEngine(configuration: config)
        config.alertKinds = [.clusterEmerging]
        var quiet = IncidentEngine(configuration: config)
        var published = 0
        // Bursts in a few cells over weeks: count alerts, cooldowns and key expiry all happen.
        for step in 0..<12_000 {
            let hour = Int64(step / 6)
            // Seven cells at a time, a new group every ~3 weeks: the quiet groups' keys expire.
            let cell = Double(step % 7) * 0.004 + Double(step / 3000) * 0.03
            let incident = Incident(
                id: "i\(step)", eventTime: Timestamp(seconds: 1_614_816_000 + hour * 3600 + Int64(step % 6) * 60), category: "Assault",
                neighbourhood: "N\(step % 3)", latitude: 43.65 + cell, longitude: -79.38)
            if case .accepted(let alerts) = publishing.process(incident) { published += alerts.count }
            guard case .accepted(let none) = quiet.process(incident) else {
                Issue.record("late")
                return
            }
            #expect(none.isEmpty)
        }
        #expect(published > 0)
        #expect(quiet.stateDigest.digest == publishing.stateDigest.digest)
        #expect(quiet.statistics.keys == publishing.statistics.keys)
        #expect(quiet.statistics.keysExpired == publishing.statistics.keysExpired && quiet.statistics.keysExpired > 0)
        var again = config
        again.alertKinds = [.clusterEmerging, .countThreshold]
        let countAgain = quiet.updateRules(again)
        again.alertKinds = nil
        let everyKind = quiet.updateRules(again)
        #expect(!countAgain && !everyKind)
        var fewer = publishing.configuration
        fewer.alertKinds = [.surge]
        let stopCounts = publishing.updateRules(fewer)
        #expect(stopCounts)
    }
}
