/// A validated model ready to serve: the model, the feature layout it was trained on (checked
/// against the engine configuration), the alert threshold and the model's identity.
///
/// Build it with `RiskScorer.load`, which either returns a scorer that cannot fail at scoring time
/// or throws a `ModelError` that says what is wrong; hand it to `IncidentEngine.replaceModel`.
///
/// A class, not a struct: the engine binds its scorer once per incident, and a struct of this many
/// references (model arrays, layout names, version strings) paid a retain and a release of each,
/// atomic, on every incident (~2.5 % of `vigil run`'s CPU by `perf`). Everything in it is a `let`,
/// so sharing one instance is the same as copying it.
public final class RiskScorer: Sendable, Equatable {
    public static let ruleName = "near_repeat_risk"

    public let model: RiskModel
    public let layout: NearRepeatFeatures
    /// Alert when the score is at least this.
    public let threshold: Double
    /// Contributions listed in an alert.
    public let topFeatures: Int
    /// `vigil_version` attribute of the file (or "unversioned") and FNV-1a 64 of its bytes.
    public let version: String
    public let hash: String
    /// What the score predicts, from the file's attributes (defaults 250 m / 72 h).
    public let radiusMetres: Double
    public let horizon: EventDuration

    init(
        model: RiskModel, layout: NearRepeatFeatures, threshold: Double, topFeatures: Int, version: String, hash: String,
        radiusMetres: Double, horizon: EventDuration
    ) {
        self.model = model
        self.layout = layout
        self.threshold = threshold
        self.topFeatures = topFeatures
        self.version = version
        self.hash = hash
        self.radiusMetres = radiusMetres
        self.horizon = horizon
    }

    public static func load(
        _ bytes: [UInt8], configuration: EngineConfiguration, threshold: Double,
        topFeatures: Int = 5
    ) throws(ModelError) -> RiskScorer {
        guard threshold > 0 && threshold <= 1 else { throw ModelError(.malformed, "threshold \(threshold) is not in (0, 1]") }
        let model = try RiskModel.parse(bytes)
        let layout = try NearRepeatFeatures.matching(model.featureNames, configuration: configuration)
        var hash = StableHash()
        for b in bytes { hash.combineRaw(b) }
        let attributes = model.attributes
        return RiskScorer(
            model: model, layout: layout, threshold: threshold, topFeatures: max(0, topFeatures),
            version: attributes["vigil_version"] ?? "unversioned", hash: hash.hex,
            radiusMetres: attributes["vigil_radius_m"].flatMap(Double.init) ?? 250,
            horizon: .hours(attributes["vigil_horizon_h"].flatMap { Int64($0) } ?? 72))
    }

    public static func == (a: RiskScorer, b: RiskScorer) -> Bool {
        a.hash == b.hash && a.threshold == b.threshold && a.topFeatures == b.topFeatures && a.layout == b.layout
    }

    /// The `high_risk` alert for `incident` scored `score` on `features`, or nil below the threshold.
    func alert(
        _ incident: Incident, cell: GridCell, grid: MetricGrid, score: Double, features: [Double],
        contributions: inout [Double]
    ) -> Alert? {
        guard score >= threshold else { return nil }
        var top: [FeatureContribution] = []
        if topFeatures > 0 {
            model.contributions(features, into: &contributions)
            let order = contributions.indices.sorted { (contributions[$0], $1) > (contributions[$1], $0) }
            for i in order.prefix(topFeatures) {
                top.append(FeatureContribution(name: layout.names[i], value: features[i], contribution: contributions[i]))
            }
        }
        var h = StableHash()
        h.combine(Self.ruleName)
        h.combine(incident.id)
        h.combine(incident.eventTime.milliseconds)
        h.combine(hash)
        let centre = grid.centre(of: cell)
        // High when the score is at least halfway from the threshold to certainty.
        let severity: Alert.Severity = score >= threshold + (1 - threshold) / 2 ? .high : .medium
        return Alert(
            id: "risk-\(h.hex)", kind: .highRisk, rule: Self.ruleName, severity: severity, eventTime: incident.eventTime,
            category: incident.category, neighbourhood: incident.neighbourhood, cell: cell,
            latitude: centre.latitude, longitude: centre.longitude, cellSize: grid.cellSize,
            windowStart: incident.eventTime, windowEnd: incident.eventTime + horizon, count: 1, threshold: nil,
            surge: nil, hotspot: nil, incidentIDs: [incident.id],
            risk: RiskEvidence(
                score: score, threshold: threshold, modelKind: model.kind, modelVersion: version,
                modelHash: hash, radiusMetres: radiusMetres, topFeatures: top))
    }
}
