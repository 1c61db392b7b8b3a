/// Vigil's analytics for one input partition: a pure, deterministic state machine.
///
/// No I/O, no clock: time comes from the events. The same incidents in the same order produce the
/// same decisions, which makes replay, recovery and exact tests possible. One engine per partition,
/// because the partition is the unit of state ownership in a consumer group.
public struct IncidentEngine: Sendable {
    public private(set) var configuration: EngineConfiguration
    public private(set) var watermark: Watermark
    public internal(set) var statistics = EngineStatistics()
    public private(set) var windows: WindowTable
    private(set) var categories = Interner()
    private(set) var neighbourhoods = Interner()
    private var countRule: CountThresholdRule?
    private var surgeRule: SurgeRule?
    private var hotspots: HotspotTracker?
    var clusters: ClusterDetector?
    private var firstEventTime: Timestamp?
    private var sinceExpiry = 0
    /// Index of the hotspot window in `windows`.
    let hotspotSpec: Int?
    /// The model serving now (swapped between batches by `replaceModel`), its scratch buffers,
    /// and the hotspot evaluation indexed by cell for features (updated after each evaluation).
    public private(set) var risk: RiskScorer? {
        didSet { riskCategoryColumns = [] }
    }
    /// Per category id (`categories`): the column of its `category=` indicator in the serving
    /// model's features, -1 when the model has none, -2 when it has several (filled as ids are
    /// met; see `riskCategoryColumn(of:)`).
    private var riskCategoryColumns: [Int32] = []
    /// The score of the latest accepted incident (nil when no model is configured).
    public internal(set) var lastScore: Double?
    private var riskFeatures: [Double] = []
    var riskContributions: [Double] = []
    /// A batch's incidents waiting for the block walk (`process(batch:_:)`); empty between calls.
    var deferred: DeferredScores?
    private var hotIndex: HotCellIndex?
    private var hotIndexEvaluation = 0
    static let expiryInterval = 4096
    /// Whether count, surge and high-risk alerts are published (`alerts.kinds`): when not, the
    /// count and surge rules keep their counts and cooldowns but cite no incidents
    /// (`EngineConfiguration.isRuleUpdate` then refuses a reload that starts publishing them, since
    /// their citations would be incomplete), and a high score is counted without an alert.
    private var publishesCounts: Bool
    private var publishesSurges: Bool
    private(set) var publishesHighRisk: Bool

    public init(configuration: EngineConfiguration) {
        self.configuration = configuration
        publishesCounts = configuration.publishes(.countThreshold)
        publishesSurges = configuration.publishes(.surge)
        publishesHighRisk = configuration.publishes(.highRisk)
        watermark = Watermark(allowedLateness: configuration.allowedLateness)
        var specs = configuration.windows
        func index(of spec: WindowSpec) -> Int {
            if let i = specs.firstIndex(of: spec) { return i }
            specs.append(spec)
            return specs.count - 1
        }
        let countIndex = configuration.countRule.map { index(of: $0.spec) }
        hotspotSpec = configuration.hotspots.map { index(of: $0.window) }
        windows = WindowTable(specs: specs, allowedLateness: configuration.allowedLateness)
        if let rule = configuration.countRule, let countIndex { countRule = CountThresholdRule(configuration: rule, specIndex: countIndex) }
        surgeRule = configuration.surgeRule.map { SurgeRule(configuration: $0, allowedLateness: configuration.allowedLateness) }
        hotspots = configuration.hotspots.map { HotspotTracker(configuration: $0, grid: configuration.grid) }
        clusters = configuration.clusters.map {
            ClusterDetector(
                configuration: $0, grid: configuration.grid, allowedLateness: configuration.allowedLateness, maxKeys: configuration.maxKeys)
        }
        risk = configuration.risk
    }

    /// Swaps the risk model (nil stops scoring), e.g. between batches on SIGHUP. State is kept, so
    /// no event is dropped or counted twice. Throws, keeping the current model, when the scorer's
    /// feature layout is not the one this engine's configuration computes.
    public mutating func replaceModel(_ scorer: RiskScorer?) throws(ModelError) {
        if let scorer {
            let expected = NearRepeatFeatures(
                configuration: configuration, categories: scorer.layout.categories, premises: scorer.layout.premises)
            guard expected == scorer.layout else {
                _ = try NearRepeatFeatures.matching(scorer.layout.names, configuration: configuration)
                throw ModelError(.featureMismatch, "the model's feature layout does not match this engine's configuration")
            }
        }
        risk = scorer
        if scorer == nil { lastScore = nil }
    }

    public mutating func process(_ incident: Incident) -> EngineDecision {
        var none: [Double] = []
        return process(incident, recording: nil, into: &none)
    }

    /// `process(_:)` reading the incident where the caller keeps it, which it leaves unchanged.
    ///
    /// Why: passed by value from an array, the incident was copied for the call (its id and
    /// neighbourhood retained, then released), on an engine thread, of strings the decoding thread
    /// had just written: atomic operations on another core's cache lines, per message. Exclusive
    /// access to the caller's element lets the engine read it in place.
    public mutating func process(inPlace incident: inout Incident) -> EngineDecision {
        var none: [Double] = []
        return process(incident, recording: nil, into: &none)
    }

    /// Processes `incident` and writes its near-repeat features under `layout` into `features`,
    /// computed from the state before the incident is counted (what `vigil features` records).
    public mutating func process(_ incident: Incident, recording layout: NearRepeatFeatures?, into features: inout [Double])
        -> EngineDecision
    {
        published(processAll(incident, recording: layout, into: &features))
    }

    /// `decision` with only the alert kinds the configuration publishes (`alerts.kinds`).
    mutating func published(_ decision: EngineDecision) -> EngineDecision {
        guard case .accepted(let all) = decision, let kinds = configuration.alertKinds, !all.isEmpty else { return decision }
        let published = all.filter { kinds.contains($0.kind) }
        statistics.alerts -= all.count - published.count
        return .accepted(published)
    }

    /// Every alert `incident` causes, before the published kinds are picked. `deferringScore`:
    /// its features go to `deferred` for the batch's block walk, and its `high_risk`
    /// alert and score statistics come when that block is scored (`process(batch:_:)`).
    /// `scoring` false: no features are read and no score is taken (`rebuild(_:)`).
    mutating func processAll(
        _ incident: Incident, recording layout: NearRepeatFeatures?, into features: inout [Double], deferringScore: Bool = false,
        scoring: Bool = true
    ) -> EngineDecision {
        if watermark.isLate(incident.eventTime), let current = watermark.current {
            statistics.late += 1
            return .late(watermark: current)
        }
        // Surge warm-up counts continuous history only: after a gap longer than the baseline's
        // span (e.g. one decades-old first record, then today's), it starts again.
        if let newest = watermark.maxEventTime, let surge = configuration.surgeRule,
            incident.eventTime.milliseconds &- newest.milliseconds > Int64(surge.trailingWeeks + 1) * 7 * 86_400_000
        {
            firstEventTime = incident.eventTime
        }
        watermark.observe(incident.eventTime)
        let historyStart = firstEventTime ?? incident.eventTime
        firstEventTime = historyStart
        statistics.accepted += 1
        var alerts: [Alert] = []
        // Hotspots are evaluated as the watermark crosses each interval, before this incident counts.
        // Each rule's alerts are appended only when there are any: appending an empty array still
        // called into the runtime (a buffer check and a release), up to three times an incident.
        if hotspots != nil {
            let hotspotAlerts = evaluateHotspotsIfDue()
            if !hotspotAlerts.isEmpty { alerts += hotspotAlerts }
        }
        if let ended = clusters?.advance(to: ClusterTime.hour(of: incident.eventTime), names: categories), !ended.isEmpty {
            alerts += ended
        }

        let grid = configuration.grid
        let cell = grid.cell(latitude: incident.latitude, longitude: incident.longitude)
        // The names' ids as known before this incident (the features read those), looked up once:
        // only a name not seen yet is looked up again, to be added.
        let knownCategory = categories.existingID(for: incident.category)
        let knownNeighbourhood = incident.neighbourhood.flatMap { neighbourhoods.existingID(for: $0) }
        // The score, taken on the state before this incident counts; its `high_risk` alert is
        // built last (from the score and the features, which counting does not change). Carrying
        // the alert itself from here, an `Alert?` of ~490 bytes, cost a copy of it at each step
        // of every incident, alert or not.
        var riskScore: Double?
        if scoring, layout != nil || risk != nil {
            windows.prepare(incident.eventTime)  // the features' window ends, then the counts below
            riskScore = scoreBeforeCounting(
                incident, cell: cell, category: knownCategory, neighbourhood: knownNeighbourhood, layout: layout, features: &features,
                deferring: deferringScore)
        }
        guard let category = knownCategory ?? categories.id(for: incident.category) else {
            if let riskScore, let alert = record(riskScore, of: incident, cell: cell, features: riskFeatures) { alerts.append(alert) }
            statistics.capHits += 1
            statistics.alerts += alerts.count
            return .accepted(alerts)
        }
        if let found = clusters?.observe(incident, cell: cell, category: category, names: categories), !found.isEmpty { alerts += found }
        if let scan = clusters {
            statistics.clusterEvaluations = scan.evaluations
            statistics.openClusters = scan.openCount
        }
        let cellKey = AggregateKey.categoryCell(category, cell)
        if let slot = windows.slot(for: cellKey, admit: windows.keyCount < configuration.maxKeys) {
            windows.add(slot: slot, time: incident.eventTime)
            if let alert = countRule?.observe(
                incident, key: cellKey, slot: slot, table: windows, cell: cell, grid: grid, publishing: publishesCounts)
            {
                alerts.append(alert)
            }
        } else {
            statistics.capHits += 1
        }
        if let slot = windows.slot(for: AggregateKey.cell(cell), admit: windows.keyCount < configuration.maxKeys) {
            hotspots?.record(cell, at: incident.eventTime)
            windows.add(slot: slot, time: incident.eventTime)
        } else {
            statistics.capHits += 1
        }
        let neighbourhood = incident.neighbourhood.flatMap { knownNeighbourhood ?? neighbourhoods.id(for: $0) }
        if incident.neighbourhood != nil, neighbourhood == nil { statistics.capHits += 1 }
        if let name = incident.neighbourhood, let n = neighbourhood {
            let key = AggregateKey.categoryNeighbourhood(category, n)
            if let slot = windows.slot(for: key, admit: windows.keyCount < configuration.maxKeys) {
                windows.add(slot: slot, time: incident.eventTime)
            } else {
                statistics.capHits += 1
            }
            if let surge = surgeRule?.observe(
                incident, key: key, neighbourhood: name, cell: cell, grid: grid,
                historySince: historyStart, maxKeys: configuration.maxKeys, publishing: publishesSurges)
            {
                if !surge.admitted { statistics.capHits += 1 }
                if let alert = surge.alert { alerts.append(alert) }
            }
        }

        if let riskScore, let alert = record(riskScore, of: incident, cell: cell, features: riskFeatures) { alerts.append(alert) }
        statistics.alerts += alerts.count
        sinceExpiry += 1
        if sinceExpiry >= Self.expiryInterval, let now = watermark.current {
            sinceExpiry = 0
            expire(now)
        }
        statistics.keys = windows.keyCount
        return .accepted(alerts)
    }

    /// Applies new rule thresholds in place (configuration reload), keeping every window and
    /// cooldown. Returns false, changing nothing, when `new` differs in anything structural
    /// (see `EngineConfiguration.isRuleUpdate(of:)`). Call between events.
    public mutating func updateRules(_ new: EngineConfiguration) -> Bool {
        guard new.isRuleUpdate(of: configuration) else { return false }
        configuration = new
        publishesCounts = new.publishes(.countThreshold)
        publishesSurges = new.publishes(.surge)
        publishesHighRisk = new.publishes(.highRisk)
        if let rule = new.countRule { countRule?.configuration = rule }
        if let rule = new.surgeRule { surgeRule?.configuration = rule }
        if let rule = new.hotspots { hotspots?.configuration = rule }
        if let rule = new.clusters { clusters?.configuration = rule }
        return true
    }

    /// Features (and the score, when a model serves) of `incident` from the state before it counts;
    /// the model's features stay in `riskFeatures` for the caller's `record`. `deferring`: the
    /// model's features go to the next lane of `deferred`, to be scored there (nil is returned).
    private mutating func scoreBeforeCounting(
        _ incident: Incident, cell: GridCell, category: UInt16?, neighbourhood: UInt16?, layout: NearRepeatFeatures?,
        features: inout [Double], deferring: Bool
    ) -> Double? {
        if statistics.hotspotEvaluations != hotIndexEvaluation, let snapshot = hotspots?.snapshot {
            if hotIndex == nil { hotIndex = HotCellIndex(snapshot) } else { hotIndex?.update(snapshot) }  // in place: its tiles are reused
            hotIndexEvaluation = statistics.hotspotEvaluations
        }
        // The model's features are written into a local moved out of `riskFeatures` (a swap, no
        // copy of the array) so that the reads run in a non-mutating method: see `score(_:…)`.
        var values: [Double] = []
        swap(&values, &riskFeatures)
        let column = category.flatMap { riskCategoryColumn(of: $0) }
        let scored = score(
            incident, cell: cell, category: category, neighbourhood: neighbourhood, layout: layout, features: &features,
            riskFeatures: &values, riskCategoryColumn: column, scoring: !deferring)
        swap(&values, &riskFeatures)
        if deferring {
            _ = deferred!.take(riskFeatures, cell: cell)
            return nil
        }
        return scored
    }

    /// The serving model's `category=` column for category id `id` (-1: none; nil: no model, or a
    /// vocabulary naming it twice, where the names are compared), remembered per id: comparing
    /// the incident's category with every name of the vocabulary cost ~370 instructions an
    /// incident, for an answer that depends only on the id.
    private mutating func riskCategoryColumn(of id: UInt16) -> Int? {
        let i = Int(id)
        guard let layout = risk?.layout else { return nil }
        if i >= riskCategoryColumns.count {
            for known in riskCategoryColumns.count...i {
                let name = categories.name(UInt16(known))
                let columns = layout.categories.indices.filter { layout.categories[$0] == name }
                riskCategoryColumns.append(columns.count > 1 ? -2 : Int32(columns.first ?? -1))
            }
        }
        let column = Int(riskCategoryColumns[i])
        return column == -2 ? nil : column
    }

    /// Counts `incident`'s score (taken on `features`) and returns its `high_risk` alert, if any.
    mutating func record(_ score: Double, of incident: Incident, cell: GridCell, features: [Double]) -> Alert? {
        guard countScore(score) else { return nil }
        return highRiskAlert(score, of: incident, cell: cell, features: features)
    }

    /// Counts a score; true when its `high_risk` alert is to be built (published, and the score
    /// at the threshold). high_risk is opt-in: when it is not published, a score at the threshold
    /// is counted but builds no alert (its feature contributions and evidence cost more than the
    /// score itself, for ~3.5 % of incidents).
    mutating func countScore(_ score: Double) -> Bool {
        statistics.scored += 1
        lastScore = score
        guard let scorer = risk, score >= scorer.threshold else { return false }
        if publishesHighRisk { return true }
        statistics.highRisk += 1
        return false
    }

    /// The `high_risk` alert of a score `countScore` said to build, counted.
    mutating func highRiskAlert(_ score: Double, of incident: Incident, cell: GridCell, features: [Double]) -> Alert? {
        let alert = risk?.alert(
            incident, cell: cell, grid: configuration.grid, score: score, features: features, contributions: &riskContributions)
        if alert != nil { statistics.highRisk += 1 }
        return alert
    }

    /// Fills `features` (for `layout`) and `riskFeatures` (for the model) from the state before
    /// `incident` counts, and returns the model's score (nil without a model).
    ///
    /// Non-mutating on purpose: `self` is borrowed here, so the surge rule, the window table and
    /// the scorer are read in place. Read from the mutating `scoreBeforeCounting`, the surge rule
    /// and the scorer were copied for each call (their arrays retained and released, atomically),
    /// twice an incident.
    private func score(
        _ incident: Incident, cell: GridCell, category: UInt16?, neighbourhood: UInt16?, layout: NearRepeatFeatures?,
        features: inout [Double], riskFeatures: inout [Double], riskCategoryColumn: Int?, scoring: Bool
    ) -> Double? {
        layout?.extract(
            incident, cell: cell, category: category, neighbourhood: neighbourhood, windows: windows,
            surgeRule: surgeRule, hot: hotIndex, into: &features)
        risk?.layout.extract(
            incident, cell: cell, category: category, neighbourhood: neighbourhood, windows: windows,
            surgeRule: surgeRule, hot: hotIndex, categoryColumn: riskCategoryColumn, into: &riskFeatures)
        return scoring ? risk?.model.probability(riskFeatures) : nil
    }

    /// Runs a final hotspot evaluation covering everything processed (end of a replay).
    public mutating func finish() -> [Alert] {
        guard var tracker = hotspots, let k = hotspotSpec, let newest = watermark.maxEventTime else { return [] }
        hotspots = nil  // the tracker is unique while it evaluates: its arrays change in place, not copied
        var alerts = evaluate(&tracker, spec: k, at: newest + EventDuration(milliseconds: 1))
        hotspots = tracker
        if let kinds = configuration.alertKinds { alerts.removeAll { !kinds.contains($0.kind) } }
        statistics.alerts += alerts.count
        return alerts
    }

    private mutating func evaluateHotspotsIfDue() -> [Alert] {
        // Not due (almost every event): answer without copying the tracker out of its optional.
        if let next = hotspots?.nextEvaluation, let wm = watermark.current, wm.milliseconds < next { return [] }
        guard var tracker = hotspots, let k = hotspotSpec, let wm = watermark.current else { return [] }
        let every = tracker.configuration.evaluateEvery.milliseconds
        let due = floorDivide(wm.milliseconds, every) * every
        guard let next = tracker.nextEvaluation else {
            tracker.nextEvaluation = due + every
            hotspots = tracker
            return []
        }
        guard wm.milliseconds >= next else { return [] }
        tracker.nextEvaluation = due + every
        hotspots = nil  // the tracker is unique while it evaluates: its arrays change in place, not copied
        let alerts = evaluate(&tracker, spec: k, at: Timestamp(milliseconds: due))
        hotspots = tracker
        return alerts
    }

    /// Gi* over the hotspot window (`windows.specs[k]`) ending at the bucket of `time - 1 ms`
    /// (what precedes `time`).
    private mutating func evaluate(_ tracker: inout HotspotTracker, spec k: Int, at time: Timestamp) -> [Alert] {
        statistics.hotspotEvaluations += 1
        let end = windows.specs[k].bucket(time - EventDuration(milliseconds: 1))
        let table = windows
        let names = categories
        let describe = { (cells: [GridCell]) -> [CategoryCount] in
            Self.categoryCounts(in: cells, table: table, names: names, spec: k, endingAt: end)
        }
        // With a model, the tracker leaves the features' hotspot index up to date as it evaluates
        // (without one, `scoreBeforeCounting` builds it from the snapshot if features are read).
        var index: HotCellIndex? = risk == nil ? nil : (hotIndex.take() ?? HotCellIndex())
        let alerts: [Alert]
        // The tracker keeps the window's cell counts itself; from the table only after a move back in time.
        let publishing = configuration.alertKinds
        if let recorded = tracker.evaluateRecorded(
            at: time, endBucket: end, grid: configuration.grid, index: &index, publishing: publishing, categories: describe)
        {
            alerts = recorded
        } else {
            var counts: [(GridCell, Int)] = []
            for (key, slot) in windows.entries where AggregateKey.family(key) == .cell {
                let c = windows.count(slot: slot, spec: k, endingAt: end)
                if c > 0 { counts.append((AggregateKey.cell(of: key), c)) }
            }
            alerts = tracker.evaluate(
                at: time, endBucket: end, counts: counts, grid: configuration.grid, index: &index, publishing: publishing,
                categories: describe)
        }
        if index != nil {
            hotIndex = index
            hotIndexEvaluation = statistics.hotspotEvaluations
        }
        return alerts
    }

    private mutating func expire(_ now: Timestamp) {
        let longest = (windows.specs.map(\.horizon.milliseconds).max() ?? 0) + configuration.allowedLateness.milliseconds
        let cutoff = now - EventDuration(milliseconds: longest)
        let rule = countRule
        var expired = Set<UInt64>()
        let removed = windows.expire(olderThan: cutoff) { key in
            if rule?.isCoolingDown(key, at: now) == true { return true }
            expired.insert(key)
            return false
        }
        countRule?.forget(expired)
        statistics.keysExpired += removed + (surgeRule?.expire(before: now) ?? 0)
    }

    // MARK: - Queries

    /// Records every cylinder of every `every`-th cluster-scan evaluation (0: off), for the
    /// offline twin; collect them with `drainClusterProbes()`.
    public mutating func recordClusterProbes(every: Int) { clusters?.probeEvery = every }

    public mutating func drainClusterProbes() -> [ClusterProbe] {
        guard let probes = clusters?.probes, !probes.isEmpty else { return [] }
        clusters?.probes = []
        return probes
    }

    /// The latest hotspot evaluation.
    public var hotspotSnapshot: HotspotSnapshot? { hotspots?.snapshot }

    /// Window counts for the keys of `incident` (all families × all horizons) as of now.
    public func windowCounts(for incident: Incident) -> [WindowCount] {
        let cell = configuration.grid.cell(latitude: incident.latitude, longitude: incident.longitude)
        guard let category = categories.existingID(for: incident.category) else { return [] }
        var keys: [(AggregateKey.Family, UInt64)] = [(.categoryCell, AggregateKey.categoryCell(category, cell))]
        if let name = incident.neighbourhood, let n = neighbourhoods.existingID(for: name) {
            keys.append((.categoryNeighbourhood, AggregateKey.categoryNeighbourhood(category, n)))
        }
        keys.append((.cell, AggregateKey.cell(cell)))
        var out: [WindowCount] = []
        for (family, key) in keys {
            for (k, spec) in windows.specs.enumerated() {
                let count = windows.slot(of: key).map { windows.count(slot: $0, spec: k, at: incident.eventTime) } ?? 0
                out.append(
                    WindowCount(
                        family: family, category: family == .cell ? nil : incident.category,
                        neighbourhood: family == .categoryNeighbourhood ? incident.neighbourhood : nil,
                        cell: family == .categoryNeighbourhood ? nil : cell, spec: spec, count: count))
            }
        }
        return out
    }

    /// Current count of the count rule's window for (category, cell), for admin queries and tests.
    public func currentCount(category: String, cell: GridCell) -> Int {
        guard let rule = countRule, let id = categories.existingID(for: category),
            let slot = windows.slot(of: AggregateKey.categoryCell(id, cell)), let newest = watermark.maxEventTime
        else { return 0 }
        return windows.count(slot: slot, spec: rule.specIndex, at: newest)
    }
}
