/// The last stage of a scaled-out city: the partitions' findings, merged into the city's order
/// (`FindingsMerge`), decide emerging, grew and ended (`ClusterLifecycle`) exactly as one engine
/// decides them. One per city, downstream of every partition, so no partition needs to know what
/// another found or what the lifecycle decided.
///
/// Pure: the daemon's lifecycle stage feeds it the findings topic in any interleaving of the
/// partitions, with repeats after restarts, and gets one engine's alerts.
public struct CityClusterLifecycle: Sendable {
    private var merge: FindingsMerge
    private var lifecycle: ClusterLifecycle
    public let partitions: Int

    /// `configuration`: the engine's, with the cluster scan on; `partitions`: how many partitions
    /// send findings (the routed topic's partition count).
    public init(configuration: EngineConfiguration, partitions: Int) {
        guard let scan = configuration.clusters else { preconditionFailure("the cluster scan is off") }
        precondition(partitions >= 1)
        self.partitions = partitions
        merge = FindingsMerge(partitions: partitions)
        lifecycle = ClusterLifecycle(configuration: scan, grid: configuration.grid)
    }

    /// Findings dropped as repeats (a partition re-sending after a restart).
    public var repeats: Int { merge.repeats }

    /// Findings that contradict the layout (two owners of one incident, an open cluster no
    /// partition re-checked): non-zero only when the layout changed under a running city.
    public var conflicts: Int { merge.conflicts + unchecked }
    private var unchecked = 0

    /// Clusters open now.
    public var openCount: Int { lifecycle.open.count }

    /// Takes `output` from `partition` (0 ..< `partitions`) and returns the alerts of everything
    /// it completes, in the city's order.
    public mutating func receive(_ output: ScanOutput, from partition: Int) -> [Alert] {
        precondition((0..<partitions).contains(partition), "findings from partition \(partition) of \(partitions)")
        guard merge.receive(output, from: partition) else { return [] }
        return PartitionedClusters.apply(merge.release(), to: &lifecycle, conflicts: &unchecked)
    }
}
