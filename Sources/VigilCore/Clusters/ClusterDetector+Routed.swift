/// One partition of a scaled-out city (docs/SCALE-OUT.md): the detector counts the incidents the
/// router sends it (its own tiles' and, as halo, their neighbours'), evaluates only its own, and
/// leaves every lifecycle decision to the city's one `ClusterLifecycle`, so the city's alerts are
/// the ones a single engine gives.
import Foundation

extension ClusterDetector {
    /// A centre this partition owns whose cylinder reached its alerting level: it may have opened
    /// a cluster (the lifecycle decides), so it is re-checked every new hour, exactly as an open
    /// cluster is, until that re-check says it would have ended.
    struct Watch: Sendable {
        var centre: GridCell
        var layer: UInt16
        var keptOpenBy: (radiusCells: Int, durationHours: Int)
    }

    /// Counts an incident routed to this partition. `halo`: a neighbour's incident, counted in
    /// cells and citations but never evaluated as a centre. For an own incident, the significant
    /// cylinder around it, if any, for the lifecycle (the city profile is not counted here: the
    /// router sends the city's counts, `addCityOccurrences`).
    /// Counts `count` of the city's occurrences of the layer `layerName` (nil: all categories) at
    /// `hour` in the city profile.
    mutating func addCityOccurrences(layerName: String?, hour: Int64, count: UInt32, names: inout Interner) -> Bool {
        let layer: UInt16
        if let layerName {
            guard let id = names.id(for: layerName) else { return false }
            layer = id &+ 1
        } else {
            layer = 0
        }
        addCity(layer: layer, hour: hour, count: count)
        return true
    }

    mutating func observeRouted(_ incident: Incident, cell: GridCell, category: UInt16, halo: Bool, names: Interner)
        -> ClusterCandidate?
    {
        let hour = ClusterTime.hour(of: incident.eventTime)
        let (first, second) = count(incident, hour: hour, cell: cell, category: category, countsCity: false)
        guard !halo, let first,
            let best = strongest(
                centre: cell, layer: first, and: second, endHour: hour, incident: incident.id, atLeast: thresholds, names: names),
            best.surprise >= thresholds[configuration.family(layer: best.layer, durationHours: best.durationHours).rawValue]
        else { return nil }
        if !watches.contains(where: { $0.centre == best.centre && $0.layer == best.layer }) {
            watches.append(Watch(centre: best.centre, layer: best.layer, keptOpenBy: (best.radiusCells, best.durationHours)))
        }
        return ClusterCandidate(
            finding: finding(best, names: names), eventTime: incident.eventTime, neighbourhood: incident.neighbourhood)
    }

    /// A new hour `hour` began in the city: every watched centre re-checked over the hours that
    /// ended; those that would have ended are no longer watched.
    mutating func recheckWatches(hour: Int64, names: Interner) -> [ClusterWatchResult] {
        let ending = log(configuration.minRecurrenceDays / 4)
        var results: [ClusterWatchResult] = []
        var still: [Watch] = []
        for var watch in watches {
            let result = recheck(
                centre: watch.centre, layer: watch.layer, keptOpenBy: watch.keptOpenBy,
                radii: Array(0...configuration.maxRadiusCells(cellSize: grid.cellSize)),
                hour: hour, ending: ending, names: names)
            results.append(
                ClusterWatchResult(centre: watch.centre, layerName: watch.layer == 0 ? nil : names.name(watch.layer - 1), recheck: result))
            if case .open(let r, let d) = result {
                watch.keptOpenBy = (r, d)
                still.append(watch)
            }
        }
        watches = still
        return results
    }
}
