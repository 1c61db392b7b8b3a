/// A batch's incidents whose features are taken but whose scores wait for one eight-incident walk
/// (`EightIncidentTrees`), and the decisions that wait with them so they leave in order.
///
/// Why: an incident's features must be read from the state before it counts, but nothing in the
/// engine's state depends on its score: the score only adds the `high_risk` alert (last among the
/// incident's alerts) and the statistics. So the engine takes the features as each incident
/// arrives and scores eight at a time, which on an AVX2-only CPU costs a quarter of eight
/// single walks. Every incident after the first deferred one waits here too, scored or not, so
/// decisions are handed out in input order.
struct DeferredScores {
    /// An incident processed but not handed out: its index in the batch, the decision without its
    /// `high_risk` alert, and its lane when it waits for a score.
    struct Pending {
        let index: Int
        var decision: EngineDecision
        let lane: Int?
    }

    /// The scorer the block was made for, its XGBoost model and that model's eight-incident trees
    /// (kept here so a batch neither copies the model out of its enum nor retains its arrays).
    let scorer: RiskScorer
    let model: XGBoostModel
    let trees: EightIncidentTrees
    var featureCount: Int { trees.featureCount }
    private(set) var rows: EightIncidentTrees.Rows
    /// Lane `k`'s features (as extracted, in doubles) at `k · featureCount`: a `high_risk` alert
    /// lists the largest contributions from them.
    private var features: [Double]
    private(set) var cells: [GridCell]
    private(set) var pending: [Pending] = []
    /// Lanes taken since the last `reset`.
    private(set) var lanes = 0

    /// A block for `scorer`, or nil when its model has no eight-incident walk (not XGBoost, no
    /// AVX2, or trees too deep).
    init?(for scorer: RiskScorer) {
        guard case .xgboost(let model) = scorer.model, let trees = model.eightIncidents else { return nil }
        self.scorer = scorer
        self.model = model
        self.trees = trees
        let featureCount = trees.featureCount
        rows = EightIncidentTrees.Rows(featureCount: featureCount)
        features = [Double](repeating: 0, count: featureCount * EightIncidentTrees.lanes)
        cells = [GridCell](repeating: GridCell(x: 0, y: 0), count: EightIncidentTrees.lanes)
        pending.reserveCapacity(4 * EightIncidentTrees.lanes)
    }

    var isFull: Bool { lanes == EightIncidentTrees.lanes }

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

    /// The waiting lanes' margins, in lane order (the walk runs for three lanes or more; below
    /// that, walking each lane alone costs less and gives the same sums).
    func margins() -> (Float, Float, Float, Float, Float, Float, Float, Float) {
        var margins: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
        if lanes >= 3 {
            trees.margins(rows, base: model.baseMargin, into: &margins)
        } else {
            withUnsafeMutableBytes(of: &margins) { m in
                for lane in 0..<lanes { m.storeBytes(of: model.margin(features(ofLane: lane)), toByteOffset: lane * 4, as: Float.self) }
            }
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
