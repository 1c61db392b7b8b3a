/// One feature's value and its share of the model's log-odds: why a score is high, in the
/// feature's own name.
public struct FeatureContribution: Sendable, Equatable {
    public var name: String
    public var value: Double
    public var contribution: Double
}
