/// Why an incident was scored high: the score, the model that gave it and the features behind it.
public struct RiskEvidence: Sendable, Equatable {
    public var score: Double
    public var threshold: Double
    public var modelKind: String
    public var modelVersion: String
    public var modelHash: String
    public var radiusMetres: Double
    /// Largest contributions to the log-odds first.
    public var topFeatures: [FeatureContribution]
}
