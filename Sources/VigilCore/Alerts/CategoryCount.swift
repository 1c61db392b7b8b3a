/// Incidents of one category among an alert's cells (hotspot and cluster evidence), so a
/// dispatcher sees what the place is busy with, not just how busy.
public struct CategoryCount: Sendable, Equatable {
    public var category: String
    public var count: Int
}
