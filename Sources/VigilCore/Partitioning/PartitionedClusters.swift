/// A scaled-out city's emerging-cluster alerts computed in one process: the router, one cluster
/// detector per partition fed only its routed messages, and the city's one lifecycle applying
/// the partitions' findings in the city's order. What the daemon's stages do across topics, here
/// without a broker, so that "N partitions say what one engine says" is checked directly.
///
/// The partitions never read each other's state: each applies only its own messages in order,
/// and the lifecycle orders their outputs by sequence (a tick's re-checks before the candidate of
/// the same incident), so running the partitions in any interleaving gives the same alerts.
public struct PartitionedClusters: Sendable {
    private struct Partition: Sendable {
        var detector: ClusterDetector
        var names = Interner()
        var owned = 0
        var halo = 0
    }

    public private(set) var router: TileRouter
    private var partitions: [Partition]
    private var lifecycle: ClusterLifecycle
    public private(set) var late = 0

    /// `configuration`: the engine's (grid, lateness, key cap, `[clusters]`), which must have the
    /// cluster scan on. `haloCells`: the halo's reach, by default the scan's largest radius (less
    /// is not exact; tests use it to show the halo is needed).
    public init(configuration: EngineConfiguration, partitions count: Int, tileCells: Int32 = 8, haloCells: Int32? = nil) {
        guard let scan = configuration.clusters else { preconditionFailure("the cluster scan is off") }
        let grid = configuration.grid
        router = TileRouter(
            grid: grid, partitions: count, tileCells: tileCells,
            haloCells: haloCells ?? Int32(scan.maxRadiusCells(cellSize: grid.cellSize)),
            allowedLateness: configuration.allowedLateness, repeatWindowHours: scan.repeatWindowHours)
        let detector = ClusterDetector(
            configuration: scan, grid: grid, allowedLateness: configuration.allowedLateness, maxKeys: configuration.maxKeys)
        partitions = Array(repeating: Partition(detector: detector), count: count)
        lifecycle = ClusterLifecycle(configuration: scan, grid: grid)
    }

    /// Incidents each partition received: its own and its halo copies.
    public var received: [(owned: Int, halo: Int)] { partitions.map { ($0.owned, $0.halo) } }

    /// The cluster alerts of `incident` (valid, in the city's order), as one engine states them.
    public mutating func process(_ incident: Incident) -> [Alert] {
        guard case .routed(let messages) = router.route(incident) else {
            late += 1
            return []
        }
        var rechecks: [ClusterWatchResult]?
        var candidate: ClusterCandidate?
        for (p, message) in messages {
            switch message {
            case .cityOccurrences(let o):
                let weekStart = o.week * ClusterTime.hoursPerWeek
                var names = partitions[p].names
                for (k, n) in o.counts.enumerated() where n > 0 {
                    _ = partitions[p].detector.addCityOccurrences(
                        layerName: o.layerName, hour: weekStart + Int64(k), count: n, names: &names)
                }
                partitions[p].names = names
            case .tick(_, let hour):
                let results = partitions[p].detector.recheckWatches(hour: hour, names: partitions[p].names)
                rechecks = (rechecks ?? []) + results
            case .incident(_, let halo):
                if halo { partitions[p].halo += 1 } else { partitions[p].owned += 1 }
                let cell = router.grid.cell(latitude: incident.latitude, longitude: incident.longitude)
                guard let category = partitions[p].names.id(for: incident.category) else { continue }
                let found = partitions[p].detector.observeRouted(
                    incident, cell: cell, category: category, halo: halo, names: partitions[p].names)
                if !halo { candidate = found }
            }
        }
        var alerts: [Alert] = []
        if let rechecks, let tickHour = messages.lazy.compactMap({ if case .tick(_, let h) = $0.message { h } else { nil } }).first {
            alerts += lifecycle.recheck(hour: tickHour, results: Self.results(for: lifecycle.open, from: rechecks))
        }
        if let candidate {
            alerts += lifecycle.track(
                candidate.finding.cylinder, layerName: candidate.finding.layerName, eventTime: candidate.eventTime,
                neighbourhood: candidate.neighbourhood
            ) { candidate.finding }
        }
        return alerts
    }

    /// Each open cluster's re-check, found among the partitions' by centre and layer.
    private static func results(for open: [ClusterLifecycle.Cluster], from rechecks: [ClusterWatchResult]) -> [ClusterRecheck] {
        open.map { cluster in
            guard let r = rechecks.first(where: { $0.centre == cluster.centre && $0.layerName == cluster.layerName }) else {
                preconditionFailure("no partition re-checked the open cluster at \(cluster.centre)")
            }
            return r.recheck
        }
    }
}
