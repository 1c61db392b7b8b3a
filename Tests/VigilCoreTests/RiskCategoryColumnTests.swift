import Testing

@testable import VigilCore

/// The serving model's `category=` indicators are set from the category's id (a column
/// remembered per id) rather than by comparing names; these check that the model then scores
/// exactly what it scores on the features `vigil features` records by name.
@Suite("The model's category indicators by category id")
struct RiskCategoryColumnTests {
    let factory = IncidentFactory()

    /// The synthetic stream, with a category none of the first 1,500 incidents has appearing after
    /// them (its first incident is scored before the engine has an id for it).
    func stream() -> [Incident] {
        var incidents = NearRepeatFeaturesTests().stream(seed: 23, count: 2000)
        for i in stride(from: 1500, to: incidents.count, by: 7) { incidents[i].category = "Theft Over" }
        return incidents
    }

    /// Scores of `incidents` from `scorer`'s model on the features recorded by name (the engine
    /// without a model, recording under the model's layout), as bit patterns.
    func byName(_ incidents: [Incident], scorer: RiskScorer, configuration: EngineConfiguration) -> [UInt64?] {
        var engine = IncidentEngine(configuration: configuration)
        var row: [Double] = []
        return incidents.map { incident in
            guard case .accepted = engine.process(incident, recording: scorer.layout, into: &row) else { return nil }
            return scorer.model.probability(row).bitPattern
        }
    }

    func scorer(_ categories: [String], configuration: EngineConfiguration, seed: UInt64) throws -> RiskScorer {
        let layout = NearRepeatFeatures(configuration: configuration, categories: categories, premises: ["House", "Outside"])
        return try RiskScorer.load(
            DeferredScoresTests.model(names: layout.names, seed: seed), configuration: configuration, threshold: 0.5, topFeatures: 2)
    }

    @Test(
        "scores equal the by-name features' for categories in, out of and twice in the vocabulary, one at a time and batched",
        arguments: [["Assault", "Robbery"], ["Robbery", "Arson", "Theft Over", "Assault"], ["Assault", "Robbery", "Assault"], []])
    func sameAsByName(categories: [String]) throws {
        let plain = EngineConfiguration(grid: factory.grid)
        let scorer = try scorer(categories, configuration: plain, seed: 9)
        let incidents = stream()
        let expected = byName(incidents, scorer: scorer, configuration: plain)
        var configuration = plain
        configuration.risk = scorer

        var one = IncidentEngine(configuration: configuration)
        var scores: [UInt64?] = []
        for var incident in incidents {
            guard case .accepted = one.process(inPlace: &incident) else {
                scores.append(nil)
                continue
            }
            scores.append(one.lastScore?.bitPattern)
        }
        #expect(Self.differing(scores, expected) == 0, "incidents scored differently, one at a time")

        var batched = IncidentEngine(configuration: configuration)
        var batchScores: [UInt64?] = []
        for start in stride(from: 0, to: incidents.count, by: 61) {
            var batch = Array(incidents[start..<min(start + 61, incidents.count)])
            batched.process(batch: &batch) { _, decision, score in
                if case .accepted = decision { batchScores.append(score?.bitPattern) } else { batchScores.append(nil) }
            }
        }
        #expect(Self.differing(batchScores, expected) == 0, "incidents scored differently, in batches")

        // Not vacuous: with every category indicator left at 0 the model scores differently.
        if !categories.isEmpty {
            var engine = IncidentEngine(configuration: plain)
            var row: [Double] = []
            let columns = scorer.layout.names.indices.filter { scorer.layout.names[$0].hasPrefix("category=") }
            let blind: [UInt64?] = incidents.map { incident in
                guard case .accepted = engine.process(incident, recording: scorer.layout, into: &row) else { return nil }
                for c in columns { row[c] = 0 }
                return scorer.model.probability(row).bitPattern
            }
            #expect(Self.differing(blind, expected) > 0, "the category indicators move some score")
        }
    }

    @Test("a model swapped for one with another vocabulary sets its own columns")
    func swappedModel() throws {
        let plain = EngineConfiguration(grid: factory.grid)
        let first = try scorer(["Assault", "Robbery"], configuration: plain, seed: 3)
        let second = try scorer(["Break and Enter", "Assault"], configuration: plain, seed: 4)
        let incidents = stream()
        let half = incidents.count / 2
        let expected =
            Array(byName(incidents, scorer: first, configuration: plain)[..<half])
            + Array(byName(incidents, scorer: second, configuration: plain)[half...])
        var configuration = plain
        configuration.risk = first
        var engine = IncidentEngine(configuration: configuration)
        var scores: [UInt64?] = []
        for (i, var incident) in incidents.enumerated() {
            if i == half { try engine.replaceModel(second) }
            guard case .accepted = engine.process(inPlace: &incident) else {
                scores.append(nil)
                continue
            }
            scores.append(engine.lastScore?.bitPattern)
        }
        #expect(Self.differing(scores, expected) == 0, "incidents scored differently")
    }

    /// How many incidents two runs score differently (all of them when the runs differ in length).
    static func differing(_ a: [UInt64?], _ b: [UInt64?]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : max(a.count, b.count)
    }
}
