import Foundation
import Testing

@testable import VigilCore

@Suite("Complete tree layout")
struct CompleteTreeEnsembleTests {
    /// A random XGBoost JSON ensemble: trees of mixed shapes (leaves at every level up to
    /// `maxDepth`), random default directions, thresholds from a small set so inputs hit them exactly.
    static func randomModel(_ rng: inout SplitMix64, trees: Int, features: Int, maxDepth: Int, forceDepth: Bool) -> String {
        var out: [String] = []
        for t in 0..<trees {
            var left: [Int] = []
            var right: [Int] = []
            var index: [Int] = []
            var condition: [Double] = []
            var defaultLeft: [Int] = []
            func grow(_ depth: Int, _ mustReach: Bool) -> Int {
                let i = left.count
                left.append(-1)
                right.append(-1)
                index.append(0)
                defaultLeft.append(0)
                let split = depth < maxDepth && (mustReach || rng.next() % 4 != 0)
                let threshold = Double(Int(rng.next() % 9) - 4) / 4
                // A zero threshold is written as -0 or +0 (the walk's sign test must treat them alike).
                condition.append(
                    split ? (threshold == 0 && rng.next() % 2 == 0 ? -0.0 : threshold) : Double(Int(rng.next() % 2001) - 1000) / 997)
                if split {
                    index[i] = Int(rng.next() % UInt64(features))
                    defaultLeft[i] = Int(rng.next() % 2)
                    let goDeep = mustReach && rng.next() % 2 == 0
                    let l = grow(depth + 1, goDeep)
                    let r = grow(depth + 1, mustReach && !goDeep)
                    left[i] = l
                    right[i] = r
                }
                return i
            }
            _ = grow(0, forceDepth && t == trees / 2)
            func list<T>(_ a: [T]) -> String { "[" + a.map { "\($0)" }.joined(separator: ",") + "]" }
            out.append(
                "{\"left_children\":\(list(left)),\"right_children\":\(list(right)),\"split_indices\":\(list(index)),"
                    + "\"split_conditions\":\(list(condition)),\"default_left\":\(list(defaultLeft)),"
                    + "\"sum_hessian\":\(list(left.map { _ in 1 }))}")
        }
        let names = (0..<features).map { "\"f\($0)\"" }.joined(separator: ",")
        return """
            {"learner":{"feature_names":[\(names)],"gradient_booster":{"model":{"trees":[\(out.joined(separator: ","))]},"name":"gbtree"},
             "learner_model_param":{"base_score":"[3E-1]"},"objective":{"name":"binary:logistic"}}}
            """
    }

    /// Inputs that land on thresholds, just beside them, far away, infinite and missing.
    static func randomInput(_ rng: inout SplitMix64, features: Int) -> [Double] {
        (0..<features).map { _ in
            switch rng.next() % 6 {
            case 0: .nan
            case 1: Double(Int(rng.next() % 9) - 4) / 4
            case 2: Double(Int(rng.next() % 9) - 4) / 4 - 1e-9
            case 3: [Double.infinity, -.infinity, 1e300, -0.0][Int(rng.next() % 4)]
            default: Double(Int64(bitPattern: rng.next() % 4_000_001) - 2_000_000) / 1_000_000
            }
        }
    }

    @Test("the complete layout's margin is bit-identical to the node walk (random ensembles and inputs)")
    func matchesNodeWalk() throws {
        var rng = SplitMix64(seed: 13)
        for round in 0..<56 {
            let depth = 1 + round % CompleteTreeEnsemble.maximumDepth
            let trees = [1, 7, 8, 9, 16, 23, 33][round % 7]
            let text = Self.randomModel(&rng, trees: trees, features: 6, maxDepth: depth, forceDepth: true)
            let model = try XGBoostModel(json: try JSONValue.parse(Array(text.utf8)))
            let complete = try #require(model.complete, "depth \(depth) fits the complete layout")
            #expect(complete.depth == depth)
            #expect((model.sixteenLanes != nil) == (SixteenLaneTrees.available && depth <= SixteenLaneTrees.maximumDepth))
            for _ in 0..<200 {
                let x = Self.randomInput(&rng, features: 6)
                let reference = model.pointerMargin(x).bitPattern
                #expect(model.margin(x).bitPattern == reference, "round \(round) x \(x)")
                #expect(complete.margin(x, base: model.baseMargin).bitPattern == reference, "round \(round) x \(x)")
            }
        }
    }

    @Test("the sixteen-lane walk reads every one of 64 inputs; 65 inputs keep the scalar walk")
    func sixteenLanesAcrossAllInputs() throws {
        var rng = SplitMix64(seed: 29)
        for round in 0..<12 {
            let depth = 1 + round % SixteenLaneTrees.maximumDepth
            let features = round < 10 ? 64 : 65
            let text = Self.randomModel(&rng, trees: [17, 250, 31][round % 3], features: features, maxDepth: depth, forceDepth: true)
            let model = try XGBoostModel(json: try JSONValue.parse(Array(text.utf8)))
            #expect((model.sixteenLanes != nil) == (SixteenLaneTrees.available && features <= 64))
            for _ in 0..<100 {
                let x = Self.randomInput(&rng, features: features)
                #expect(model.margin(x).bitPattern == model.pointerMargin(x).bitPattern, "round \(round)")
            }
        }
    }

    @Test("single-leaf trees and ensembles deeper than the limit (which keep the node walk)")
    func edges() throws {
        let leaf = """
            {"learner":{"feature_names":["f0"],"gradient_booster":{"model":{"trees":[
              {"left_children":[-1],"right_children":[-1],"split_indices":[0],"split_conditions":[0.25],"default_left":[0],"sum_hessian":[1]}]},
              "name":"gbtree"},"learner_model_param":{"base_score":"[5E-1]"},"objective":{"name":"binary:logistic"}}}
            """
        let single = try XGBoostModel(json: try JSONValue.parse(Array(leaf.utf8)))
        #expect(single.complete?.depth == 0)
        #expect(single.margin([.nan]) == Float(0.25) && single.margin([3]) == single.pointerMargin([3]))
        var rng = SplitMix64(seed: 5)
        let deep = Self.randomModel(&rng, trees: 3, features: 4, maxDepth: CompleteTreeEnsemble.maximumDepth + 1, forceDepth: true)
        let model = try XGBoostModel(json: try JSONValue.parse(Array(deep.utf8)))
        #expect(model.complete == nil)
        let x = Self.randomInput(&rng, features: 4)
        #expect(model.margin(x).bitPattern == model.pointerMargin(x).bitPattern)
    }

    @Test("the shipped model: complete layout of depth 5, bit-identical margins on random inputs")
    func shippedModel() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("Config/models/near-repeat-xgboost.json")))
        guard case .xgboost(let model) = try RiskModel.parse(bytes) else {
            Issue.record("the shipped model is XGBoost")
            return
        }
        #expect(model.complete?.depth == 5 && model.complete?.treeCount == model.treeCount)
        #expect((model.sixteenLanes != nil) == SixteenLaneTrees.available)
        var rng = SplitMix64(seed: 7)
        let n = model.featureNames.count
        for _ in 0..<2000 {
            // Counts-like values (what features are: small integers, rates, hours, NaN for unseen).
            let x = (0..<n).map { _ -> Double in
                switch rng.next() % 5 {
                case 0: .nan
                case 1: Double(rng.next() % 3)
                case 2: Double(rng.next() % 200)
                default: Double(rng.next() % 100_000) / 1000
                }
            }
            #expect(model.margin(x).bitPattern == model.pointerMargin(x).bitPattern)
            #expect(model.complete!.margin(x, base: model.baseMargin).bitPattern == model.pointerMargin(x).bitPattern)
        }
    }
}
