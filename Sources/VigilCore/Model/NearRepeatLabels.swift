/// The near-repeat target, computed from the future: for each incident of a stream sorted by
/// event time, whether another incident happens within `radius` metres and `(t, t + horizon]`.
/// Incidents at the very same instant do not count (they are usually one event reported as
/// several offences). Distances use the grid's projection.
public struct NearRepeatLabels: Sendable {
    public var label: [Bool]
    /// True when `t + horizon` is after the last incident: the label cannot be known.
    public var censored: [Bool]
    public var positives: Int

    /// `incidents` must be sorted by event time.
    public static func compute(_ incidents: [Incident], grid: MetricGrid, radius: Double, horizon: EventDuration) -> NearRepeatLabels {
        let n = incidents.count
        let t = incidents.map(\.eventTime.milliseconds)
        let xy = incidents.map { grid.project(latitude: $0.latitude, longitude: $0.longitude) }
        let r2 = radius * radius
        var label = [Bool](repeating: false, count: n)
        var censored = [Bool](repeating: false, count: n)
        var positives = 0
        let last = t.last ?? 0
        var firstLater = 0  // first index with a strictly later time than i
        for i in 0..<n {
            if firstLater <= i { firstLater = i + 1 }
            while firstLater < n && t[firstLater] <= t[i] { firstLater += 1 }
            let end = t[i] + horizon.milliseconds
            censored[i] = end > last
            var j = firstLater
            while j < n && t[j] <= end {
                let dx = xy[j].x - xy[i].x
                let dy = xy[j].y - xy[i].y
                if dx * dx + dy * dy <= r2 {
                    label[i] = true
                    positives += 1
                    break
                }
                j += 1
            }
        }
        return NearRepeatLabels(label: label, censored: censored, positives: positives)
    }
}
