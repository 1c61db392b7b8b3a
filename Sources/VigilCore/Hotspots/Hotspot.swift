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
