/// The city's new scan occurrences of one layer in one week, by hour of the week: what a
/// partition's scan needs of the incidents it does not receive (the city-wide profile and
/// current level that scale every expected count).
public struct CityOccurrences: Sendable, Equatable {
    /// The category, or nil for all categories together.
    public var layerName: String?
    public var week: Int64
    /// 168 counts, from the first hour of the scan's week (weeks of 168 hours counted from the
    /// Unix epoch, so Thursday 00:00 UTC).
    public var counts: [UInt32]

    public init(layerName: String?, week: Int64, counts: [UInt32]) {
        self.layerName = layerName
        self.week = week
        self.counts = counts
    }
}
