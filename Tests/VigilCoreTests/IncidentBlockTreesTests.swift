import Testing

@testable import VigilCore

@Suite("Incident-block tree walks", .enabled(if: IncidentBlockTrees.available, "needs AVX2"))
struct IncidentBlockTreesTests {
    /// The widths this machine walks: eight always (AVX2), sixteen with AVX-512.
    static let widths = IncidentBlockTrees.sixteenAvailable ? [8, 16] : [8]

    @Test("each lane's margin is bit-identical to the node walk (random ensembles, inputs, partial blocks)", arguments: widths)
    func matchesNodeWalk(lanes: Int) throws {
        var rng = SplitMix64(seed: 41)
        for round in 0..<48 {
            let depth = 1 + round % IncidentBlockTrees.maximumDepth
            let trees = [1, 7, 8, 9, 16, 23, 33, 250][round % 8]
            let features = [3, 6, 55][round % 3]
            let text = CompleteTreeEnsembleTests.randomModel(&rng, trees: trees, features: features, maxDepth: depth, forceDepth: true)
            let model = try XGBoostModel(json: try JSONValue.parse(Array(text.utf8)))
            let complete = try #require(model.complete, "depth \(depth) has complete trees")
            let block = try #require(
                IncidentBlockTrees(complete, featureCount: features, lanes: lanes), "depth \(depth) runs the block walk")
            #expect(block.lanes == lanes && block.depth == depth && block.treeCount == trees && block.featureCount == features)
            for filled in [lanes, 1, 5, lanes - 1, lanes] {
                var rows = IncidentBlockTrees.Rows(featureCount: features, lanes: lanes)
                var inputs: [[Double]] = []
                for lane in 0..<filled {
                    let x = CompleteTreeEnsembleTests.randomInput(&rng, features: features)
                    rows.write(x, lane: lane)
                    inputs.append(x)
                }
                var margins = SIMD16<Float>()
                block.margins(rows, base: model.baseMargin, into: &margins)
                for (lane, x) in inputs.enumerated() {
                    #expect(margins[lane].bitPattern == model.pointerMargin(x).bitPattern, "round \(round) lane \(lane) x \(x)")
                }
            }
        }
    }

    @Test("the model's block layout is the widest this machine walks")
    func preferredWidth() throws {
        var rng = SplitMix64(seed: 7)
        let text = CompleteTreeEnsembleTests.randomModel(&rng, trees: 20, features: 9, maxDepth: 5, forceDepth: true)
        let model = try XGBoostModel(json: try JSONValue.parse(Array(text.utf8)))
        let block = try #require(model.incidentBlocks)
        #expect(block.lanes == IncidentBlockTrees.preferredLanes)
        #expect(block.minimumBlockLanes == (block.lanes == 16 ? 12 : 3))
        let complete = try #require(model.complete)
        #expect((IncidentBlockTrees(complete, featureCount: 9, lanes: 16) != nil) == IncidentBlockTrees.sixteenAvailable)
        #expect(IncidentBlockTrees(complete, featureCount: 9, lanes: 12) == nil, "only eight or sixteen lanes")
    }

    @Test("deeper than six levels, or a single-leaf ensemble, has no block layout")
    func limits() throws {
        var rng = SplitMix64(seed: 3)
        let deep = CompleteTreeEnsembleTests.randomModel(&rng, trees: 4, features: 4, maxDepth: 7, forceDepth: true)
        #expect(try XGBoostModel(json: try JSONValue.parse(Array(deep.utf8))).incidentBlocks == nil)
        let leaf = """
            {"learner":{"feature_names":["f0"],"gradient_booster":{"model":{"trees":[
              {"left_children":[-1],"right_children":[-1],"split_indices":[0],"split_conditions":[0.25],"default_left":[0],"sum_hessian":[1]}]},
              "name":"gbtree"},"learner_model_param":{"base_score":"[5E-1]"},"objective":{"name":"binary:logistic"}}}
            """
        #expect(try XGBoostModel(json: try JSONValue.parse(Array(leaf.utf8))).incidentBlocks == nil)
    }
}
