/// One watched centre's hourly re-check (scaled out), keyed by what the lifecycle knows of a
/// cluster: its centre and layer name (at most one open cluster per centre, since two would
/// overlap).
public struct ClusterWatchResult: Sendable, Equatable {
    public var centre: GridCell
    public var layerName: String?
    public var recheck: ClusterRecheck
}
