/// A significant cylinder around an incident a partition owns (scaled out): what the city's
/// lifecycle needs to open a cluster or feed one, in the incident's place in the city's order.
public struct ClusterCandidate: Sendable, Equatable {
    public var finding: ClusterFinding
    public var eventTime: Timestamp
    /// The incident's neighbourhood: a cluster it opens is named after it.
    public var neighbourhood: String?
}
