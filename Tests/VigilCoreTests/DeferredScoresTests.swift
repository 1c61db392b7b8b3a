import Testing

@testable import VigilCore

/// `IncidentEngine.process(batch:_:)` scores a block of incidents at a time (eight, or sixteen with
/// AVX-512); these check that it says exactly what processing one incident at a time says.
@Suite("Scores deferred to the block walk")
struct DeferredScoresTests {
    let factory = IncidentFactory()

    /// A random XGBoost model over `names` with count-like thresholds, so scores spread on both
    /// sides of 0.5 on the synthetic stream.
    static func model(names: [String], seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var trees: [String] = []
        for _ in 0..<40 {
            // A complete tree of depth 4 in XGBoost's arrays (breadth first).
            let inner = 15
            var left: [Int] = []
            var right: [Int] = []
            var index: [Int] = []
            var condition: [Double] = []
            var defaultLeft: [Int] = []
            for i in 0..<(2 * inner + 1) {
                if i < inner {
                    left.append(2 * i + 1)
                    right.append(2 * i + 2)
                    index.append(Int(rng.next() % UInt64(names.count)))
                    condition.append([0.5, 1, 1.5, 2, 3, 5, 8, 0.05, 0.2][Int(rng.next() % 9)])
                    defaultLeft.append(Int(rng.next() % 2))
                } else {
                    left.append(-1)
                    right.append(-1)
                    index.append(0)
                    condition.append(Double(Int(rng.next() % 2001) - 1000) / 4000)
                    defaultLeft.append(0)
                }
            }
            func list<T>(_ a: [T]) -> String { "[" + a.map { "\($0)" }.joined(separator: ",") + "]" }
            trees.append(
                "{\"left_children\":\(list(left)),\"right_children\":\(list(right)),\"split_indices\":\(list(index)),"
                    + "\"split_conditions\":\(list(condition)),\"default_left\":\(list(defaultLeft)),"
                    + "\"sum_hessian\":\(list(left.map { _ in 1 }))}")
        }
        let quoted = names.map { "\"\($0)\"" }.joined(separator: ",")
        return Array(
            """
            {"learner":{"feature_names":[\(quoted)],"gradient_booster":{"model":{"trees":[\(trees.joined(separator: ","))]},"name":"gbtree"},
             "learner_model_param":{"base_score":"[5E-1]"},"objective":{"name":"binary:logistic"}}}
            """.utf8)
    }

    /// The synthetic stream with late incidents (a day behind) put in at every 37th place.
    func stream() -> [Incident] {
        var incidents = NearRepeatFeaturesTests().stream(seed: 11, count: 700)
        for i in stride(from: 40, to: incidents.count, by: 37) {
            var late = incidents[i]
            late.id = "late-\(i)"
            late.eventTime = late.eventTime - .days(1)
            incidents.insert(late, at: i)
        }
        return incidents
    }

    /// The default rules without a model, and the feature layout a model for them is trained on.
    func plainWithLayout() -> (EngineConfiguration, NearRepeatFeatures) {
        let plain = EngineConfiguration(grid: factory.grid)
        let layout = NearRepeatFeatures(
            configuration: plain, categories: ["Assault", "Robbery", "Break and Enter"], premises: ["House", "Apartment"])
        return (plain, layout)
    }

    /// A decision as its alerts' JSON (feature values can be NaN, which `==` on alerts never
    /// matches) or its late watermark, and the score's bits.
    struct Outcome: Equatable {
        var decision: [String]
        var score: UInt64?

        init(decision: EngineDecision, score: Double?) {
            switch decision {
            case .accepted(let alerts):
                self.decision = alerts.map { String(decoding: AlertJSON.encode($0, detectedAt: nil), as: UTF8.self) }
            case .late(let watermark): self.decision = ["late \(watermark)"]
            }
            self.score = score?.bitPattern
        }
    }

    func oneAtATime(_ configuration: EngineConfiguration, _ incidents: [Incident]) -> (outcomes: [Outcome], engine: IncidentEngine) {
        var engine = IncidentEngine(configuration: configuration)
        var outcomes: [Outcome] = []
        for var incident in incidents {
            let decision = engine.process(inPlace: &incident)
            outcomes.append(Outcome(decision: decision, score: engine.lastScore))
        }
        return (outcomes, engine)
    }

    func batched(_ configuration: EngineConfiguration, _ incidents: [Incident], size: Int) -> (
        outcomes: [Outcome], engine: IncidentEngine
    ) {
        var engine = IncidentEngine(configuration: configuration)
        var outcomes: [Outcome] = []
        for start in stride(from: 0, to: incidents.count, by: size) {
            var batch = Array(incidents[start..<min(start + size, incidents.count)])
            var expected = 0
            engine.process(batch: &batch) { index, decision, score in
                #expect(index == expected, "decisions leave in input order")
                expected += 1
                outcomes.append(Outcome(decision: decision, score: score))
            }
            #expect(expected == batch.count, "one decision per incident")
            #expect(engine.deferred.map { $0.pending.isEmpty && $0.lanes == 0 } ?? true, "nothing waits between batches")
        }
        return (outcomes, engine)
    }

    @Test("batches of any size give the one-at-a-time decisions, alerts, scores, statistics and state")
    func sameAsOneAtATime() throws {
        let (plain, layout) = plainWithLayout()
        let scorer = try RiskScorer.load(Self.model(names: layout.names, seed: 5), configuration: plain, threshold: 0.55, topFeatures: 3)
        guard case .xgboost(let model) = scorer.model else { throw ModelError(.unsupported, "XGBoost expected") }
        #expect((model.incidentBlocks != nil) == IncidentBlockTrees.available)
        #expect(model.incidentBlocks.map(\.lanes) ?? IncidentBlockTrees.preferredLanes == IncidentBlockTrees.preferredLanes)
        var published = plain
        published.risk = scorer
        var quiet = published
        quiet.alertKinds = Set(Alert.Kind.allCases).subtracting([.highRisk])
        let incidents = stream()
        for configuration in [published, quiet] {
            let reference = oneAtATime(configuration, incidents)
            let alerts = reference.outcomes.flatMap(\.decision)
            let highRisk = alerts.filter { $0.contains("\"kind\":\"high_risk\"") }.count
            let late = alerts.filter { $0.hasPrefix("late ") }.count
            let others = alerts.count - highRisk - late
            if configuration.alertKinds == nil {
                #expect(highRisk > 20 && highRisk < incidents.count - late - 20, "scores on both sides of the threshold")
            } else {
                #expect(highRisk == 0)
            }
            #expect(late > 10 && others > 0, "late incidents and other alerts interleave")
            // Around both widths' blocks and their partial-block thresholds (3 of 8, 12 of 16).
            for size in [1, 2, 3, 7, 8, 9, 11, 12, 15, 16, 17, 64, incidents.count] {
                let run = batched(configuration, incidents, size: size)
                #expect(run.outcomes.count == reference.outcomes.count)
                for (i, (a, b)) in zip(run.outcomes, reference.outcomes).enumerated() where a != b {
                    Issue.record("batch size \(size), incident \(i): \(a) != \(b)")
                    break
                }
                #expect(run.engine.statistics == reference.engine.statistics, "batch size \(size)")
                #expect(run.engine.stateDigest == reference.engine.stateDigest, "batch size \(size)")
                #expect(run.engine.lastScore == reference.engine.lastScore)
            }
        }
    }

    @Test("models swapped between batches (another XGBoost, a logistic one, none) score as one at a time")
    func modelsSwappedBetweenBatches() throws {
        let (plain, layout) = plainWithLayout()
        let first = try RiskScorer.load(Self.model(names: layout.names, seed: 5), configuration: plain, threshold: 0.55, topFeatures: 2)
        let second = try RiskScorer.load(Self.model(names: layout.names, seed: 6), configuration: plain, threshold: 0.5, topFeatures: 2)
        let logistic = try RiskScorer.load(RiskModelTests.logistic(layout.names, intercept: 0.2), configuration: plain, threshold: 0.5)
        var configuration = plain
        configuration.risk = first
        let schedule: [RiskScorer?] = [first, second, logistic, nil, second, first]
        let incidents = stream()
        let size = 97
        var reference = IncidentEngine(configuration: configuration)
        var expected: [Outcome] = []
        for (i, var incident) in incidents.enumerated() {
            if i % size == 0 { try reference.replaceModel(schedule[(i / size) % schedule.count]) }
            let decision = reference.process(inPlace: &incident)
            expected.append(Outcome(decision: decision, score: reference.lastScore))
        }
        var engine = IncidentEngine(configuration: configuration)
        var outcomes: [Outcome] = []
        for start in stride(from: 0, to: incidents.count, by: size) {
            try engine.replaceModel(schedule[(start / size) % schedule.count])
            var batch = Array(incidents[start..<min(start + size, incidents.count)])
            engine.process(batch: &batch) { _, decision, score in outcomes.append(Outcome(decision: decision, score: score)) }
        }
        #expect(outcomes.count == expected.count)
        let differing = zip(outcomes, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "incidents whose decision or score differ from one at a time")
        #expect(engine.statistics == reference.statistics)
        #expect(engine.stateDigest == reference.stateDigest)
    }

    @Test("without a model, or with a logistic one, a batch is processed one incident at a time")
    func otherModels() throws {
        let plain = EngineConfiguration(grid: factory.grid)
        let layout = NearRepeatFeatures(configuration: plain, categories: ["Assault"], premises: ["House"])
        let logistic = try RiskScorer.load(RiskModelTests.logistic(layout.names, intercept: 0.2), configuration: plain, threshold: 0.5)
        var scored = plain
        scored.risk = logistic
        let incidents = stream()
        for configuration in [plain, scored] {
            let reference = oneAtATime(configuration, incidents)
            let run = batched(configuration, incidents, size: 50)
            #expect(run.outcomes.count == reference.outcomes.count)
            #expect(zip(run.outcomes, reference.outcomes).allSatisfy { $0 == $1 })
            #expect(run.engine.statistics == reference.engine.statistics)
            #expect(run.engine.deferred == nil, "no block is kept without the block walk")
        }
    }
}
