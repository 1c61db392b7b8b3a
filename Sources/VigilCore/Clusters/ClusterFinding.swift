/// A cylinder as an alert states it: the cylinder, its layer by name and the incidents behind it.
///
/// Why a separate value: the engine that counts a cylinder's cells holds the incidents to cite,
/// while the cluster lifecycle (`ClusterLifecycle`) decides whether the cylinder opens, grows or
/// ends a cluster. On one engine both run together; scaled out, an engine sends findings and one
/// lifecycle decides for the whole city.
public struct ClusterFinding: Sendable, Equatable {
    /// How many incidents a finding cites.
    static let citedIncidents = 16

    public var cylinder: ScanCylinder
    /// The category scanned, or nil for all categories together (`cylinder.layer` is the counting
    /// engine's own id and means nothing to another engine).
    public var layerName: String?
    /// The newest incidents in the cylinder (at most 16), oldest first.
    public var citations: [String]
    /// Incidents in the cylinder per category, most frequent first.
    public var categories: [CategoryCount]

    public init(cylinder: ScanCylinder, layerName: String?, citations: [String], categories: [CategoryCount]) {
        self.cylinder = cylinder
        self.layerName = layerName
        self.citations = citations
        self.categories = categories
    }
}
