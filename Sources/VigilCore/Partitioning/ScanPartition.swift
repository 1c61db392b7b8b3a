/// One partition of a scaled-out city's cluster scan: applies the router's messages in order and
/// says what the city's lifecycle needs (`ScanOutput`). It never reads another partition's state
/// nor the lifecycle's decisions, so partitions run anywhere, at any speed.
public struct ScanPartition: Sendable {
    private var detector: ClusterDetector
    private var names = Interner()
    /// Incidents received: own, and halo copies of neighbouring tiles'.
    public private(set) var owned = 0
    public private(set) var halo = 0
    /// Messages dropped as repeats (a restarted router sends again what it sent since its last commit).
    public private(set) var repeats = 0
    private var lastKey: RouteKey?

    /// `configuration`: the engine's (grid, lateness, key cap and `[clusters]`, which must be on).
    public init(configuration: EngineConfiguration) {
        guard let scan = configuration.clusters else { preconditionFailure("the cluster scan is off") }
        detector = ClusterDetector(
            configuration: scan, grid: configuration.grid, allowedLateness: configuration.allowedLateness,
            maxKeys: configuration.maxKeys)
    }

    /// Applies `message` (nothing when it is a repeat: at or before the last key applied);
    /// `incident` is the incident an `.incident` message carries.
    public mutating func apply(_ message: RoutedMessage, incident: Incident?) -> [ScanOutput] {
        let key = message.key
        if let lastKey, key <= lastKey {
            repeats += 1
            return []
        }
        lastKey = key
        switch message {
        case .cityOccurrences(_, _, let o):
            let weekStart = o.week * ClusterTime.hoursPerWeek
            for (k, n) in o.counts.enumerated() where n > 0 {
                _ = detector.addCityOccurrences(layerName: o.layerName, hour: weekStart + Int64(k), count: n, names: &names)
            }
            return []
        case .tick(let s, let hour):
            return [.rechecks(sequence: s, hour: hour, results: detector.recheckWatches(hour: hour, names: names))]
        case .incident(let s, let isHalo):
            guard let incident else { preconditionFailure("an incident message without its incident") }
            if isHalo { halo += 1 } else { owned += 1 }
            let cell = detector.grid.cell(latitude: incident.latitude, longitude: incident.longitude)
            guard let category = names.id(for: incident.category),
                let found = detector.observeRouted(incident, cell: cell, category: category, halo: isHalo, names: names)
            else { return [] }
            return [.candidate(sequence: s, found)]
        case .mark(let s):
            return [.mark(sequence: s)]
        }
    }
}
