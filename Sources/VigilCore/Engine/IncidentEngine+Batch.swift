extension IncidentEngine {
    /// Processes `incidents` in order, exactly as `process(inPlace:)` on each would, and hands
    /// `emit` each incident's index, decision and the engine's `lastScore` after it, in order.
    ///
    /// Why: where the model runs a block walk (`IncidentBlockTrees`: AVX2 or AVX-512, complete
    /// trees), each incident's features are taken from the state before it counts, as always, but
    /// its score waits until a block (eight or sixteen) is taken, and one walk scores them together
    /// (a quarter of the cost of eight single walks on an AVX2-only CPU, ~0.75 of sixteen on
    /// AVX-512). Nothing in the state depends on a score: it adds only the incident's `high_risk`
    /// alert, last among its alerts, and the statistics, so the decisions, the alerts and their
    /// order are the same as one at a time. An incident behind a waiting one waits too; the batch's last block is scored before this returns, so
    /// nothing waits between calls (a model swap or a rule update sees no pending incident).
    public mutating func process(batch incidents: inout [Incident], _ emit: (Int, EngineDecision, Double?) -> Void) {
        guard let scorer = risk, deferred?.scorer === scorer || startDeferring(for: scorer) else {
            for i in incidents.indices {
                let decision = process(inPlace: &incidents[i])
                emit(i, decision, lastScore)
            }
            return
        }
        for i in incidents.indices {
            let lanesBefore = deferred!.lanes
            let decision = processDeferringScore(inPlace: &incidents[i])
            let lane = deferred!.lanes > lanesBefore ? lanesBefore : nil
            if lane == nil, deferred!.pending.isEmpty {
                emit(i, published(decision), lastScore)
                continue
            }
            deferred!.append(DeferredScores.Pending(index: i, decision: decision, lane: lane))
            if deferred!.isFull { scoreDeferred(&incidents, emit) }
        }
        if !deferred!.pending.isEmpty { scoreDeferred(&incidents, emit) }
    }

    /// Makes the block for `scorer` (a new model since the last batch); false when its model has
    /// no block walk.
    private mutating func startDeferring(for scorer: RiskScorer) -> Bool {
        deferred = DeferredScores(for: scorer)
        return deferred != nil
    }

    /// `processAll` reading the incident where the caller keeps it (see `process(inPlace:)`).
    private mutating func processDeferringScore(inPlace incident: inout Incident) -> EngineDecision {
        var none: [Double] = []
        return processAll(incident, recording: nil, into: &none, deferringScore: true)
    }

    /// Scores the waiting lanes, adds their `high_risk` alerts and statistics, and hands every
    /// waiting decision to `emit` in order.
    private mutating func scoreDeferred(_ incidents: inout [Incident], _ emit: (Int, EngineDecision, Double?) -> Void) {
        guard var block = deferred.take() else { return }
        let margins = block.margins()
        for entry in block.pending {
            var decision = entry.decision
            if let lane = entry.lane {
                let margin = margins[lane]
                let score = XGBoostModel.probability(margin: margin)
                // The incident and its features are read only for an alert.
                if countScore(score),
                    let alert = highRiskAlert(
                        score, of: incidents[entry.index], cell: block.cells[lane], features: block.features(ofLane: lane)),
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
