extension IncidentEngine {
    /// Processes `incidents` in order, exactly as `process(inPlace:)` on each would, and hands
    /// `emit` each incident's index, decision and the engine's `lastScore` after it, in order.
    ///
    /// Why: where the model runs the eight-incident walk (`EightIncidentTrees`: AVX2, complete
    /// trees), each incident's features are taken from the state before it counts, as always, but
    /// its score waits until eight are taken, and one walk scores them together (a quarter of the
    /// cost of eight single walks on an AVX2-only CPU). Nothing in the state depends on a score:
    /// it adds only the incident's `high_risk` alert, last among its alerts, and the statistics,
    /// so the decisions, the alerts and their order are the same as one at a time. An incident
    /// behind a waiting one waits too; the batch's last block is scored before this returns, so
    /// nothing waits between calls (a model swap or a rule update sees no pending incident).
    public mutating func process(batch incidents: inout [Incident], _ emit: (Int, EngineDecision, Double?) -> Void) {
        guard let scorer = risk, case .xgboost(let model) = scorer.model, let trees = model.eightIncidents else {
            for i in incidents.indices {
                let decision = process(inPlace: &incidents[i])
                emit(i, decision, lastScore)
            }
            return
        }
        if deferred?.featureCount != trees.featureCount { deferred = DeferredScores(featureCount: trees.featureCount) }
        for i in incidents.indices {
            let lanesBefore = deferred!.lanes
            let decision = processDeferringScore(inPlace: &incidents[i])
            let lane = deferred!.lanes > lanesBefore ? lanesBefore : nil
            if lane == nil, deferred!.pending.isEmpty {
                emit(i, published(decision), lastScore)
                continue
            }
            deferred!.append(DeferredScores.Pending(index: i, decision: decision, lane: lane))
            if deferred!.isFull { scoreDeferred(&incidents, model: model, trees: trees, emit) }
        }
        if !deferred!.pending.isEmpty { scoreDeferred(&incidents, model: model, trees: trees, emit) }
    }

    /// `processAll` reading the incident where the caller keeps it (see `process(inPlace:)`).
    private mutating func processDeferringScore(inPlace incident: inout Incident) -> EngineDecision {
        var none: [Double] = []
        return processAll(incident, recording: nil, into: &none, deferringScore: true)
    }

    /// Scores the waiting lanes, adds their `high_risk` alerts and statistics, and hands every
    /// waiting decision to `emit` in order.
    private mutating func scoreDeferred(
        _ incidents: inout [Incident], model: XGBoostModel, trees: EightIncidentTrees, _ emit: (Int, EngineDecision, Double?) -> Void
    ) {
        guard var block = deferred.take() else { return }
        var margins: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
        // Fewer than three lanes cost more in one eight-lane walk than walked one at a time (same sums).
        let walked = block.lanes >= 3
        if walked { trees.margins(block.rows, base: model.baseMargin, into: &margins) }
        let threshold = risk?.threshold ?? .infinity
        for entry in block.pending {
            var decision = entry.decision
            if let lane = entry.lane {
                let margin =
                    walked
                    ? withUnsafeBytes(of: margins) { $0.load(fromByteOffset: lane * MemoryLayout<Float>.stride, as: Float.self) }
                    : model.margin(block.features(ofLane: lane))
                let score = XGBoostModel.probability(margin: margin)
                // The features only where an alert lists their contributions.
                let features = publishesHighRisk && score >= threshold ? block.features(ofLane: lane) : []
                if let alert = record(score, of: incidents[entry.index], cell: block.cells[lane], features: features),
                    case .accepted(var alerts) = decision
                {
                    alerts.append(alert)
                    statistics.alerts += 1
                    decision = .accepted(alerts)
                }
            }
            emit(entry.index, published(decision), lastScore)
        }
        block.reset()
        deferred = block
    }
}
