/// A scaled-out city's emerging-cluster alerts computed in one process: the router, one
/// `ScanPartition` per partition fed only its routed messages, and the city's one lifecycle
/// applying the partitions' findings in the city's order (`FindingsMerge`). What the daemon's
/// stages do across topics, here without a broker, so that "N partitions say what one engine
/// says" is checked directly.
public struct PartitionedClusters: Sendable {
    public private(set) var router: TileRouter
    private var partitions: [ScanPartition]
    private var city: CityClusterLifecycle
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
        partitions = Array(repeating: ScanPartition(configuration: configuration), count: count)
        city = CityClusterLifecycle(configuration: configuration, partitions: count)
    }

    /// Incidents each partition received: its own and its halo copies.
    public var received: [(owned: Int, halo: Int)] { partitions.map { ($0.owned, $0.halo) } }

    /// The cluster alerts of `incident` (valid, in the city's order), as one engine states them.
    public mutating func process(_ incident: Incident) -> [Alert] {
        guard case .routed(let messages) = router.route(incident) else {
            late += 1
            return []
        }
        var alerts: [Alert] = []
        for (p, message) in messages + (router.mark() ?? []) {
            for output in partitions[p].apply(message, incident: incident) { alerts += city.receive(output, from: p) }
        }
        return alerts
    }

    /// Applies released findings to `lifecycle`; its alerts. `conflicts` counts open clusters that
    /// no partition re-checked (kept open as they were).
    static func apply(_ released: [FindingsMerge.Release], to lifecycle: inout ClusterLifecycle, conflicts: inout Int) -> [Alert] {
        var alerts: [Alert] = []
        for r in released {
            switch r {
            case .tick(let hour, let results):
                alerts += lifecycle.recheck(
                    hour: hour, results: Self.results(for: lifecycle.open, from: results, conflicts: &conflicts))
            case .candidate(let c):
                alerts += lifecycle.track(
                    c.finding.cylinder, layerName: c.finding.layerName, eventTime: c.eventTime, neighbourhood: c.neighbourhood
                ) { c.finding }
            }
        }
        return alerts
    }

    /// Each open cluster's re-check, found among the partitions' by centre and layer. One that no
    /// partition re-checked (only a layout changed under a running city does that) stays open as
    /// it was and is counted in `conflicts`.
    private static func results(
        for open: [ClusterLifecycle.Cluster], from rechecks: [ClusterWatchResult], conflicts: inout Int
    ) -> [ClusterRecheck] {
        open.map { cluster in
            guard let r = rechecks.first(where: { $0.centre == cluster.centre && $0.layerName == cluster.layerName }) else {
                conflicts += 1
                return .open(radiusCells: cluster.keptOpenBy.radiusCells, durationHours: cluster.keptOpenBy.durationHours)
            }
            return r.recheck
        }
    }
}
