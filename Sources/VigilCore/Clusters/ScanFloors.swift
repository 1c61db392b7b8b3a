/// The surprise an evaluation's cylinders must reach to matter, for cylinders shorter than the
/// configuration's `longFromHours` and for the others: one layer's two families' alerting
/// thresholds. Zero for both means every cylinder matters (probes, the hourly end check).
struct ScanFloors: Sendable {
    var short: Double
    var long: Double

    static let none = ScanFloors(short: 0, long: 0)

    var isActive: Bool { short > 0 || long > 0 }

    /// The floor of duration index `j` when the long durations start at index `firstLong`.
    @inline(__always) func floor(index j: Int, firstLong: Int) -> Double { j < firstLong ? short : long }
}
