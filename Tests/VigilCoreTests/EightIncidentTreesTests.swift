import Testing

@testable import VigilCore

@Suite("Eight-incident tree walk", .enabled(if: EightIncidentTrees.available, "needs AVX2"))
struct EightIncidentTreesTests {
    @Test("each lane's margin is bit-identical to the node walk (random ensembles, inputs, partial blocks)")
    func matchesNodeWalk() throws {
        var rng = SplitMix64(seed: 41)
        for round in 0..<48 {
            let depth = 1 + round % EightIncidentTrees.maximumDepth
            let trees = [1, 7, 8, 9, 16, 23, 33, 250][round % 8]
            let features = [3, 6, 55][round % 3]
            let text = CompleteTreeEnsembleTests.randomModel(&rng, trees: trees, features: features, maxDepth: depth, forceDepth: true)
            let model = try XGBoostModel(json: try JSONValue.parse(Array(text.utf8)))
            let block = try #require(model.eightIncidents, "depth \(depth) runs the eight-incident walk")
            #expect(block.depth == depth && block.treeCount == trees && block.featureCount == features)
            for filled in [8, 1, 5, 8] {
                var rows = EightIncidentTrees.Rows(featureCount: features)
                var inputs: [[Double]] = []
                for lane in 0..<filled {
                    let x = CompleteTreeEnsembleTests.randomInput(&rng, features: features)
                    rows.write(x, lane: lane)
                    inputs.append(x)
                }
                var margins: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
                block.margins(rows, base: model.baseMargin, into: &margins)
                let lanes = withUnsafeBytes(of: margins) { Array($0.bindMemory(to: Float.self)) }
                for (lane, x) in inputs.enumerated() {
                    #expect(lanes[lane].bitPattern == model.pointerMargin(x).bitPattern, "round \(round) lane \(lane) x \(x)")
                }
            }
        }
    }

    @Test("deeper than six levels, or a single-leaf ensemble, has no eight-incident layout")
    func limits() throws {
        var rng = SplitMix64(seed: 3)
        let deep = CompleteTreeEnsembleTests.randomModel(&rng, trees: 4, features: 4, maxDepth: 7, forceDepth: true)
        #expect(try XGBoostModel(json: try JSONValue.parse(Array(deep.utf8))).eightIncidents == nil)
        let leaf = """
            {"learner":{"feature_names":["f0"],"gradient_booster":{"model":{"trees":[
              {"left_children":[-1],"right_children":[-1],"split_indices":[0],"split_conditions":[0.25],"default_left":[0],"sum_hessian":[1]}]},
              "name":"gbtree"},"learner_model_param":{"base_score":"[5E-1]"},"objective":{"name":"binary:logistic"}}}
            """
        #expect(try XGBoostModel(json: try JSONValue.parse(Array(leaf.utf8))).eightIncidents == nil)
    }
}
