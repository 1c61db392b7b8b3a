/// A batch's incidents whose features are taken but whose scores wait for one block walk
/// (`IncidentBlockTrees`: eight or sixteen incidents), and the decisions that wait with them so
/// they leave in order.
///
/// Why: an incident's features must be read from the state before it counts, but nothing in the
/// engine's state depends on its score: the score only adds the `high_risk` alert (last among the
/// incident's alerts) and the statistics. So the engine takes the features as each incident
/// arrives and scores a block at a time: on an AVX2-only CPU eight cost a quarter of eight single
/// walks, on an AVX-512 one sixteen cost ~0.75 of sixteen single walks. Every incident after the
/// first deferred one waits here too, scored or not, so decisions are handed out in input order.
struct DeferredScores {
    /// An incident processed but not handed out: its index in the batch, the decision without its
    /// `high_risk` alert, and its lane when it waits for a score.
    struct Pending {
        let index: Int
        var decision: EngineDecision
        let lane: Int?
    }

    /// The scorer the block was made for, its XGBoost model and that model's block trees
    /// (kept here so a batch neither copies the model out of its enum nor retains its arrays).
    let scorer: RiskScorer
    let model: XGBoostModel
    let trees: IncidentBlockTrees
    var featureCount: Int { trees.featureCount }
    private(set) var rows: IncidentBlockTrees.Rows
    /// Lane `k`'s features (as extracted, in doubles) at `k · featureCount`: a `high_risk` alert
    /// lists the largest contributions from them.
    private var features: [Double]
    private(set) var cells: [GridCell]
    private(set) var pending: [Pending] = []
    /// Lanes taken since the last `reset`.
    private(set) var lanes = 0

    /// A block for `scorer`, or nil when its model has no block walk (not XGBoost, no AVX2, or
    /// trees too deep).
    init?(for scorer: RiskScorer) {
        guard case .xgboost(let model) = scorer.model, let trees = model.incidentBlocks else { return nil }
        self.scorer = scorer
        self.model = model
        self.trees = trees
        let featureCount = trees.featureCount
        rows = IncidentBlockTrees.Rows(featureCount: featureCount, lanes: trees.lanes)
        features = [Double](repeating: 0, count: featureCount * trees.lanes)
        cells = [GridCell](repeating: GridCell(x: 0, y: 0), count: trees.lanes)
        pending.reserveCapacity(4 * trees.lanes)
    }

    var isFull: Bool { lanes == trees.lanes }

    /// Takes the next lane for an incident in `cell` with features `x`.
    mutating func take(_ x: [Double], cell: GridCell) -> Int {
        let count = featureCount
        precondition(!isFull && x.count == count, "a full block, or features of another layout")
        let lane = lanes
        rows.write(x, lane: lane)
        features.withUnsafeMutableBufferPointer { f in
            x.withUnsafeBufferPointer { x in
                (f.baseAddress! + lane * count).update(from: x.baseAddress!, count: count)
            }
        }
        cells[lane] = cell
        lanes += 1
        return lane
    }

    /// Queues an incident's decision (with the lane it took, if any).
    mutating func append(_ entry: Pending) { pending.append(entry) }

    /// The waiting lanes' margins, in lane order (the block walk runs for
    /// `trees.minimumBlockLanes` lanes or more; below that, walking each lane alone costs less
    /// and gives the same sums).
    func margins() -> SIMD16<Float> {
        var margins = SIMD16<Float>()
        if lanes >= trees.minimumBlockLanes {
            trees.margins(rows, base: model.baseMargin, into: &margins)
        } else {
            for lane in 0..<lanes { margins[lane] = model.margin(features(ofLane: lane)) }
        }
        return margins
    }

    /// Lane `lane`'s features.
    func features(ofLane lane: Int) -> [Double] {
        Array(features[lane * featureCount..<(lane + 1) * featureCount])
    }

    /// Empties the block (keeping its storage) once its decisions are handed out.
    mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        lanes = 0
    }
}
