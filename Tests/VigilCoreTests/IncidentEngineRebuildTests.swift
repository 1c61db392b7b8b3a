import Testing

@testable import VigilCore

/// `IncidentEngine.rebuild(_:)` (a partition's rebuild by replay) counts incidents without
/// scoring them; an engine rebuilt so must decide everything after it as an uninterrupted one.
@Suite("Rebuilding state without scores")
struct IncidentEngineRebuildTests {
    typealias Outcome = DeferredScoresTests.Outcome

    /// The default rules with a random XGBoost model over their features (hotspot features
    /// included), `high_risk` published or not.
    func configurations() throws -> [EngineConfiguration] {
        let (plain, layout) = DeferredScoresTests().plainWithLayout()
        let scorer = try RiskScorer.load(
            DeferredScoresTests.model(names: layout.names, seed: 7), configuration: plain, threshold: 0.55, topFeatures: 3)
        var published = plain
        published.risk = scorer
        var quiet = published
        quiet.alertKinds = Set(Alert.Kind.allCases).subtracting([.highRisk])
        return [published, quiet]
    }

    @Test("after a rebuild of any prefix the next incidents get the uninterrupted run's alerts and scores, and the same state")
    func rebuiltEqualsUninterrupted() throws {
        let incidents = DeferredScoresTests().stream()
        for configuration in try configurations() {
            var reference = IncidentEngine(configuration: configuration)
            var expected: [Outcome] = []
            for incident in incidents {
                let decision = reference.process(incident)
                expected.append(Outcome(decision: decision, score: reference.lastScore))
            }
            let highRisk = expected.flatMap(\.decision).filter { $0.contains("\"kind\":\"high_risk\"") }.count
            #expect(configuration.alertKinds != nil || highRisk > 20, "the model's scores decide alerts")
            for cut in [1, 37, 200, 450, incidents.count - 1] {
                var engine = IncidentEngine(configuration: configuration)
                var rebuiltLate = 0
                for incident in incidents[..<cut] {
                    if case .late = engine.rebuild(incident) { rebuiltLate += 1 }
                }
                #expect(engine.statistics.scored == 0, "a rebuild takes no score")
                #expect(engine.statistics.late == rebuiltLate)
                #expect(engine.stateDigest == IncidentEngineRebuildTests.digest(after: cut, of: incidents, configuration))
                var differing = 0
                for (i, incident) in incidents[cut...].enumerated() {
                    let decision = engine.process(incident)
                    if Outcome(decision: decision, score: engine.lastScore) != expected[cut + i] { differing += 1 }
                }
                #expect(differing == 0, "live incidents after a rebuild of \(cut) that decide otherwise")
                #expect(engine.stateDigest == reference.stateDigest)
                #expect(engine.statistics.scored == reference.statistics.scored - (cut - rebuiltLate))
            }
        }
    }

    @Test("a cluster open at the cut goes on (grows, ends) after a rebuild as it does uninterrupted")
    func clusterAcrossTheCut() {
        let scanTests = ClusterScanTests()
        var (incidents, end) = scanTests.backgroundIncidents(weeks: 12)
        for i in 0..<12 {
            incidents.append(
                scanTests.factory.make(
                    "burst-\(i)", end + .minutes(Int64(25 * i)), category: "Robbery", cell: ClusterScanTests.quiet, east: Double(i % 4) * 30
                ))
        }
        incidents.append(scanTests.factory.make("after", end + .days(9), category: "Assault", cell: ClusterScanTests.busy))
        var reference = scanTests.engine()
        let expected = incidents.map { Outcome(decision: reference.process($0), score: nil) }
        let kinds = Set(
            expected.flatMap(\.decision).compactMap { json in
                ["cluster_emerging", "cluster_grew", "cluster_ended"].first { json.contains("\"kind\":\"\($0)\"") }
            })
        #expect(kinds == ["cluster_emerging", "cluster_grew", "cluster_ended"], "the burst's whole lifecycle")
        let burst = incidents.count - 13
        for cut in [burst, burst + 4, burst + 9, incidents.count - 1] {
            var engine = scanTests.engine()
            for incident in incidents[..<cut] { _ = engine.rebuild(incident) }
            let differing = incidents[cut...].enumerated().filter { i, incident in
                Outcome(decision: engine.process(incident), score: nil) != expected[cut + i]
            }.count
            #expect(differing == 0, "incidents after a rebuild of \(cut) that decide otherwise")
            #expect(engine.stateDigest == reference.stateDigest)
        }
    }

    /// The state digest of an uninterrupted engine after the first `count` incidents.
    static func digest(after count: Int, of incidents: [Incident], _ configuration: EngineConfiguration) -> (digest: String, counts: Int) {
        var engine = IncidentEngine(configuration: configuration)
        for incident in incidents[..<count] { _ = engine.process(incident) }
        return engine.stateDigest
    }
}
