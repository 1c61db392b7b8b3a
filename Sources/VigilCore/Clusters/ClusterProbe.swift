/// One cylinder of one scan evaluation, recorded so an independent implementation can check the
/// observed count, expected count and likelihood ratio (`vigil replay --cluster-probes`).
public struct ClusterProbe: Sendable, Equatable {
    /// The incident whose arrival triggered the evaluation.
    public var incident: String
    /// The category scanned, or nil for all categories.
    public var layer: String?
    public var cylinder: ScanCylinder
}
