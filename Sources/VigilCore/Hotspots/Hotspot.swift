/// A live hotspot: a connected cluster of hot cells with a stable identity across evaluations.
public struct Hotspot: Sendable, Equatable {
    public var id: String
    /// When it first appeared (evaluation time).
    public var openedAt: Timestamp
    public var cells: [GridCell]
    public var count: Int
    public var maxGiStar: Double
    public var centroid: GeoPoint
    public var polygon: [GeoPoint]
    public var intensity: Double
    public var categories: [CategoryCount]
    /// Last evaluation at which it had hot cells.
    public var lastSeenAt: Timestamp
    /// Consecutive evaluations with hot cells (announcement waits for `minimumPersistence`).
    public var persistence: Int = 1
    /// Whether an opened alert was sent, and the size it last announced.
    public var announcedCells: Int?
}

/// The outcome of the latest hotspot evaluation (for the admin API and offline comparison).
public struct HotspotSnapshot: Sendable, Equatable {
    public var evaluatedAt: Timestamp
    /// Bucket index (of the hotspot window's resolution) the counts end at.
    public var windowEndBucket: Int64
    public var giStar: GiStarResult
    public var hotspots: [Hotspot]
}
