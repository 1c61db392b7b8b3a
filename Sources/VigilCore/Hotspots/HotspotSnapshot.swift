/// The outcome of the latest hotspot evaluation (for the admin API and offline comparison).
public struct HotspotSnapshot: Sendable, Equatable {
    public var evaluatedAt: Timestamp
    /// Bucket index (of the hotspot window's resolution) the counts end at.
    public var windowEndBucket: Int64
    public var giStar: GiStarResult
    public var hotspots: [Hotspot]
}
