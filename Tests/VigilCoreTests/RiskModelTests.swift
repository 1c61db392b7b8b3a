import Testing

@testable import VigilCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Risk models")
struct RiskModelTests {
    let factory = IncidentFactory()

    /// Two stumps: f0 < 0.1 (float32) → 0.3 else −0.2, missing left; f1 < 1.25 → 0.1 else 0.4, missing right.
    static let stumps = """
        {"learner":{"attributes":{"vigil_version":"t1"},"feature_names":["f0","f1"],"feature_types":["float","float"],
         "gradient_booster":{"model":{"trees":[
           {"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],"split_conditions":[0.1,0.3,-0.2],
            "default_left":[1,0,0],"sum_hessian":[10,6,4],"split_type":[0,0,0]},
           {"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[1,0,0],"split_conditions":[1.25,0.1,0.4],
            "default_left":[0,0,0],"sum_hessian":[10,5,5],"split_type":[0,0,0]}]},"name":"gbtree"},
         "learner_model_param":{"base_score":"[5E-1]","num_class":"0","num_feature":"2"},
         "objective":{"name":"binary:logistic"}},"version":[3,2,0]}
        """

    func xgb() throws -> XGBoostModel { try XGBoostModel(json: try JSONValue.parse(Array(Self.stumps.utf8))) }

    @Test("splits are strict x < threshold in float32; NaN follows the default direction")
    func xgboostSplits() throws {
        let m = try xgb()
        #expect(m.margin([0.0, 0.0]) == Float(0.3) + Float(0.1))
        #expect(m.margin([0.1, 1.25]) == Float(-0.2) + Float(0.4), "on the threshold goes right")
        // 0.10000000075 > 0.1f as doubles would go left, but XGBoost compares float32: it rounds to 0.1f.
        #expect(m.margin([0.10000000075, 0]) == Float(-0.2) + Float(0.1))
        #expect(m.margin([0.09999999, 0]) == Float(0.3) + Float(0.1))
        #expect(m.margin([.nan, .nan]) == Float(0.3) + Float(0.4))
        let p = m.probability([.nan, .nan])
        #expect(abs(p - 1 / (1 + exp(-0.7))) < 1e-7)
    }

    @Test("Saabas contributions follow the path and sum to margin minus the root means")
    func contributions() throws {
        let m = try xgb()
        var c: [Double] = []
        m.contributions([0.0, 2.0], into: &c)
        // tree 0: mean(root) = (0.3*6 - 0.2*4)/10 = 0.1; left leaf 0.3 → +0.2 to f0. tree 1: root 0.25, right 0.4 → +0.15 to f1.
        #expect(abs(c[0] - 0.2) < 1e-6 && abs(c[1] - 0.15) < 1e-6)
    }

    @Test("base_score is a probability applied through the logit")
    func baseScore() throws {
        let text = Self.stumps.replacingOccurrences(of: "[5E-1]", with: "[2.5E-1]")
        let m = try XGBoostModel(json: try JSONValue.parse(Array(text.utf8)))
        #expect(abs(Double(m.baseMargin) - log(0.25 / 0.75)) < 1e-6)
    }

    @Test("malformed and unsupported files are rejected with a reason")
    func rejects() {
        #expect(throws: ModelError.self) { try RiskModel.parse(Array("{".utf8)) }
        #expect(throws: ModelError.self) { try RiskModel.parse(Array("{}".utf8)) }
        let multi = Self.stumps.replacingOccurrences(of: "binary:logistic", with: "multi:softprob")
        #expect(throws: ModelError.self) { try RiskModel.parse(Array(multi.utf8)) }
        let badChild = Self.stumps.replacingOccurrences(
            of: "\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0]",
            with: "\"left_children\":[7,-1,-1],\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0]")
        #expect(throws: ModelError.self) { try RiskModel.parse(Array(badChild.utf8)) }
    }

    /// A vigil-logistic/1 file over the engine's layout: zero coefficients except `hot`, so the
    /// score is sigmoid(intercept + weight * standardised hot feature).
    static func logistic(_ names: [String], intercept: Double, weight: Double = 0, on feature: String = "nbr_28d") -> [UInt8] {
        let coefficients = names.map { $0 == feature ? "\(weight)" : "0" }.joined(separator: ",")
        let ones = names.map { _ in "1" }.joined(separator: ",")
        let zeros = names.map { _ in "0" }.joined(separator: ",")
        let quoted = names.map { "\"\($0)\"" }.joined(separator: ",")
        return Array(
            """
            {"format":"vigil-logistic/1","features":[\(quoted)],"intercept":\(intercept),"coefficients":[\(coefficients)],
             "scaler":{"mean":[\(zeros)],"scale":[\(ones)]},"impute":[\(zeros)],"attributes":{"vigil_version":"test-\(intercept)"}}
            """.utf8)
    }

    @Test("logistic: standardise, impute NaN, sigmoid; contributions are coefficient times standardised value")
    func logisticScore() throws {
        let text = """
            {"format":"vigil-logistic/1","features":["a","b"],"intercept":-1,"coefficients":[2,0.5],
             "scaler":{"mean":[1,10],"scale":[2,5]},"impute":[3,20]}
            """
        guard case .logistic(let m) = try RiskModel.parse(Array(text.utf8)) else {
            Issue.record("not logistic")
            return
        }
        let z = -1 + 2 * (5.0 - 1) / 2 + 0.5 * (20.0 - 10) / 5
        #expect(abs(m.probability([5, .nan]) - 1 / (1 + exp(-z))) < 1e-15)
        var c: [Double] = []
        m.contributions([5, .nan], into: &c)
        #expect(c == [4, 1])
    }

    @Test("the engine scores every accepted incident, alerts at the threshold, keeps other alerts identical, swaps models")
    func engineScoring() throws {
        let plain = EngineConfiguration(grid: factory.grid)
        let layout = NearRepeatFeatures(configuration: plain, categories: ["Assault"], premises: ["House"])
        let always = try RiskScorer.load(Self.logistic(layout.names, intercept: 5), configuration: plain, threshold: 0.5, topFeatures: 3)
        let never = try RiskScorer.load(Self.logistic(layout.names, intercept: -5), configuration: plain, threshold: 0.5)
        var scored = plain
        scored.risk = always
        var a = IncidentEngine(configuration: plain)
        var b = IncidentEngine(configuration: scored)
        let incidents = NearRepeatFeaturesTests().stream(seed: 3, count: 600)
        for (i, incident) in incidents.enumerated() {
            if i == 300 { try b.replaceModel(never) }
            let plainAlerts = a.process(incident).alerts ?? []
            let all = b.process(incident).alerts ?? []
            #expect(all.filter { $0.kind != .highRisk } == plainAlerts)
            let risk = all.filter { $0.kind == .highRisk }
            #expect(risk.count == (i < 300 ? 1 : 0))
            if let alert = risk.first {
                #expect(alert.risk?.score ?? 0 > 0.99 && alert.risk?.modelHash == always.hash && alert.incidentIDs == [incident.id])
                #expect(alert.risk?.topFeatures.count == 3)
                let json = String(decoding: AlertJSON.encode(alert, detectedAt: nil), as: UTF8.self)
                #expect(json.contains("\"kind\":\"high_risk\"") && json.contains("\"model\":{\"kind\":\"logistic\""))
            }
        }
        #expect(b.statistics.scored == 600 && b.statistics.highRisk == 300)
        // With high_risk left out of alerts.kinds, the same incidents are scored and counted, the
        // other alerts are the same, and no high_risk alert is built.
        var quietConfiguration = scored
        quietConfiguration.alertKinds = Set(Alert.Kind.allCases).subtracting([.highRisk])
        var quiet = IncidentEngine(configuration: quietConfiguration)
        var counted = IncidentEngine(configuration: scored)
        for incident in incidents {
            let published = quiet.process(incident).alerts ?? []
            #expect(published == (counted.process(incident).alerts ?? []).filter { $0.kind != .highRisk })
            #expect(quiet.lastScore == counted.lastScore)
        }
        #expect(quiet.statistics.scored == 600 && quiet.statistics.highRisk == 600 && counted.statistics.highRisk == 600)
        #expect(quiet.statistics.alerts == counted.statistics.alerts - 600)
        // A model trained under another configuration is refused and the current one keeps serving.
        let other = EngineConfiguration(grid: factory.grid, hotspots: nil)
        let foreign = NearRepeatFeatures(configuration: other, categories: [], premises: [])
        #expect(throws: ModelError.self) {
            try RiskScorer.load(Self.logistic(foreign.names, intercept: 0), configuration: plain, threshold: 0.5)
        }
        let misfit = try RiskScorer.load(Self.logistic(foreign.names, intercept: 0), configuration: other, threshold: 0.5)
        #expect(throws: ModelError.self) { try b.replaceModel(misfit) }
        #expect(b.risk == never)
    }
}
