import Foundation

/// The lifecycle of emerging clusters with stable ids: a significant cylinder that overlaps no
/// open cluster opens one (cluster_emerging), one that overlaps an open cluster feeds it
/// (cluster_grew when markedly larger), and an hourly re-check ends a cluster (cluster_ended) once
/// it is no longer unusual.
///
/// Why apart from the scan: the decisions read only the open clusters and the findings, never the
/// counts. On one engine `ClusterDetector` feeds it directly; scaled out, each partition's engine
/// sends the findings of the centres it owns, and one lifecycle applies them in the city's order,
/// so two engines never open two clusters where one engine opens one.
///
/// Pure and deterministic: the same findings in the same order give the same alerts and ids.
struct ClusterLifecycle: Sendable {
    struct Cluster: Sendable {
        var id: String
        /// The layer id of the engine that counts the cluster's centre (0: all categories).
        var layer: UInt16
        var layerName: String?
        var centre: GridCell
        var radiusCells: Int
        var startHour: Int64
        var announcedObserved: Int
        var peakObserved: Int
        var neighbourhood: String?
        /// The radius and duration of the cylinder that last kept the cluster open (at first, the
        /// one it emerged with): the hourly re-check asks it first.
        var keptOpenBy: (radiusCells: Int, durationHours: Int)
    }

    var configuration: ClusterScanConfiguration
    let grid: MetricGrid
    private(set) var open: [Cluster] = []

    init(configuration: ClusterScanConfiguration, grid: MetricGrid) {
        self.configuration = configuration
        self.grid = grid
    }

    /// Applies the re-checks of a new hour `hour` (`results[i]` for `open[i]`, computed over the
    /// hours that ended) and returns the cluster_ended alerts, in the order of `open`.
    mutating func recheck(hour: Int64, results: [ClusterRecheck]) -> [Alert] {
        precondition(results.count == open.count, "one re-check per open cluster")
        var alerts: [Alert] = []
        var still: [Cluster] = []
        for (var cluster, result) in zip(open, results) {
            switch result {
            case .open(let radiusCells, let durationHours):
                cluster.keptOpenBy = (radiusCells, durationHours)
                still.append(cluster)
            case .ended(let best, let quiet):
                guard let finding = best ?? quiet[cluster.radiusCells] else {
                    preconditionFailure("an ended re-check without a finding for radius \(cluster.radiusCells)")
                }
                alerts.append(
                    alert(
                        .clusterEnded, cluster: cluster, finding: finding, eventTime: ClusterTime.start(ofHour: hour),
                        previous: cluster.peakObserved))
            }
        }
        open = still
        return alerts
    }

    /// A significant cylinder (`candidate`, at or above its family's alerting level) found by the
    /// incident at `eventTime`: opens a cluster or feeds the first open one it overlaps.
    /// `finding` is asked only when an alert states it.
    mutating func track(
        _ candidate: ScanCylinder, layerName: String?, eventTime: Timestamp, neighbourhood: String?,
        finding: () -> ClusterFinding
    ) -> [Alert] {
        if let i = open.firstIndex(where: { Self.overlaps($0, candidate) }) {
            var cluster = open[i]
            cluster.peakObserved = max(cluster.peakObserved, candidate.observed)
            let grown = max(
                Int((Double(cluster.announcedObserved) * configuration.growthFactor).rounded(.up)), cluster.announcedObserved + 3)
            var alerts: [Alert] = []
            if candidate.observed >= grown {
                let previous = cluster.announcedObserved
                cluster.announcedObserved = candidate.observed
                alerts.append(alert(.clusterGrew, cluster: cluster, finding: finding(), eventTime: eventTime, previous: previous))
            }
            open[i] = cluster
            return alerts
        }
        var hash = StableHash()
        hash.combine(ClusterDetector.ruleName)
        hash.combine(layerName ?? "")
        hash.combine(Int64(candidate.centre.x))
        hash.combine(Int64(candidate.centre.y))
        hash.combine(candidate.windowStart.milliseconds)
        let cluster = Cluster(
            id: "clu-\(hash.hex)", layer: candidate.layer, layerName: layerName, centre: candidate.centre,
            radiusCells: candidate.radiusCells, startHour: candidate.endHour - Int64(candidate.durationHours) + 1,
            announcedObserved: candidate.observed, peakObserved: candidate.observed, neighbourhood: neighbourhood,
            keptOpenBy: (candidate.radiusCells, candidate.durationHours))
        open.append(cluster)
        return [alert(.clusterEmerging, cluster: cluster, finding: finding(), eventTime: eventTime, previous: nil)]
    }

    /// Whether a cylinder centred on `c` overlaps `cluster`'s disc (touching discs count). Two
    /// centres closer than this never hold two open clusters.
    static func overlaps(_ cluster: Cluster, _ c: ScanCylinder) -> Bool {
        let dx = Int(cluster.centre.x) - Int(c.centre.x)
        let dy = Int(cluster.centre.y) - Int(c.centre.y)
        let reach = cluster.radiusCells + c.radiusCells + 1
        return dx * dx + dy * dy <= reach * reach
    }

    private func alert(_ kind: Alert.Kind, cluster: Cluster, finding: ClusterFinding, eventTime: Timestamp, previous: Int?) -> Alert {
        let c = finding.cylinder
        let cells = grid.disc(around: c.centre, radius: c.radiusCells)
        let days = configuration.recurrenceDays(c)
        let minimum = configuration.minRecurrenceDays
        let severity: Alert.Severity = kind == .clusterEnded ? .low : days >= 10 * minimum ? .high : .medium
        var hash = StableHash()
        hash.combine(cluster.id)
        hash.combine(kind.rawValue)
        hash.combine(c.endHour)
        hash.combine(Int64(c.observed))
        let centre = grid.centre(of: c.centre)
        let start = kind == .clusterEnded ? ClusterTime.start(ofHour: cluster.startHour) : c.windowStart
        return Alert(
            id: kind == .clusterEmerging ? cluster.id : "clu-\(hash.hex)", kind: kind, rule: ClusterDetector.ruleName,
            severity: severity, eventTime: eventTime, category: cluster.layerName, neighbourhood: cluster.neighbourhood,
            cell: c.centre, latitude: centre.latitude, longitude: centre.longitude, cellSize: grid.cellSize,
            windowStart: start, windowEnd: c.windowEnd, count: c.observed, threshold: nil, surge: nil, hotspot: nil,
            incidentIDs: finding.citations,
            cluster: ClusterEvidence(
                id: cluster.id, layer: cluster.layerName, radiusMetres: (Double(c.radiusCells) + 0.5) * grid.cellSize,
                durationHours: c.durationHours, observed: c.observed, expected: c.expected, llr: c.llr, surprise: c.surprise,
                recurrenceDays: days, cells: cells, categories: finding.categories, previousObserved: previous))
    }
}
