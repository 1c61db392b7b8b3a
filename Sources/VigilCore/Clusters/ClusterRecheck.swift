/// The hourly re-check of one open cluster's centre and layer, as the engine that counts its cells
/// states it: still open (with the cylinder that kept it open), or ended with the strongest
/// cylinder of a full scan.
public enum ClusterRecheck: Sendable, Equatable {
    case open(radiusCells: Int, durationHours: Int)
    /// `best`: the strongest candidate cylinder, nil when no cylinder has enough occurrences; then
    /// the alert states the cluster's own disc over the last hour, one finding per radius that the
    /// cluster may have (`quiet[r]`), since the engine may not know which cylinder opened it.
    case ended(best: ClusterFinding?, quiet: [Int: ClusterFinding])
}
