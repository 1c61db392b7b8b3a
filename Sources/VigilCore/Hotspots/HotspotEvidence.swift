/// What a hotspot alert carries about its hotspot: cells, outline, strength, categories and
/// lineage (merges and splits), so a consumer can draw and follow it without querying Vigil.
public struct HotspotEvidence: Sendable, Equatable {
    public var id: String
    public var cells: [GridCell]
    /// Cells before this change (nil when opened).
    public var previousCells: Int?
    /// Outline (convex hull of the cells' corners), counter-clockwise, closed, as (lat, lon).
    public var polygon: [GeoPoint]
    public var maxGiStar: Double
    /// Incidents per square kilometre over the hotspot's cells in the window.
    public var intensity: Double
    /// Incidents per category in the window, most frequent first.
    public var categories: [CategoryCount]
    /// Hotspots that merged into this one, or that this one merged into (closed).
    public var mergedWith: [String]
    /// The hotspot this one split from, if any.
    public var splitFrom: String?
}
