import Foundation

/// Emerging space-time clusters, the alerts a dispatcher acts on: every incident triggers a scan
/// of the cylinders around it ending now (`SpaceTimeScan`); the strongest one, when its
/// recurrence interval reaches `minRecurrenceDays`, opens a cluster (cluster_emerging) or feeds
/// the one it overlaps (cluster_grew when markedly larger); at each new hour every open cluster
/// is scanned again and ends (cluster_ended) once it is no longer that unusual.
///
/// Pure and deterministic: time is the events' hour; the same input gives the same alerts and ids.
struct ClusterDetector: Sendable {
    static let ruleName = "space_time_scan"

    struct Cluster: Sendable {
        var id: String
        var layer: UInt16
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

    var configuration: ClusterScanConfiguration {
        didSet {
            thresholds = Self.thresholds(of: configuration)
            endFloors = Self.endFloors(of: configuration)
        }
    }
    /// The alerting surprise of each family (`ScanFamily` order): every incident's evaluation reads
    /// it, so it is kept with the configuration (a reload replaces both) instead of recomputed.
    private var thresholds: [Double]
    /// Each family's surprise at the ending level (a quarter of `minRecurrenceDays`), lowered by a
    /// relative 1e-9: the hourly re-check of an open cluster only needs cylinders at or above its
    /// ending level, and the slack keeps every cylinder that rounding could put there.
    private var endFloors: [Double]
    let grid: MetricGrid
    let latenessMilliseconds: Int64
    private var scan: SpaceTimeScan
    private var recent: RecentIncidents
    private var seen = LastOccurrenceTable()
    private var newestMilliseconds = Int64.min
    private(set) var open: [Cluster] = []
    private var checkedHour: Int64?
    private var sinceExpiry = 0
    /// The week of the last expiry pass.
    private var expiredWeek = Int64.min
    private(set) var evaluations = 0
    /// Record every cylinder of every `probeEvery`-th evaluation into `probes` (0: off).
    var probeEvery = 0
    var probes: [ClusterProbe] = []

    init(configuration: ClusterScanConfiguration, grid: MetricGrid, allowedLateness: EventDuration, maxKeys: Int) {
        self.configuration = configuration
        thresholds = Self.thresholds(of: configuration)
        endFloors = Self.endFloors(of: configuration)
        self.grid = grid
        latenessMilliseconds = allowedLateness.milliseconds
        let latenessHours = Int((allowedLateness.milliseconds + ClusterTime.hourMilliseconds - 1) / ClusterTime.hourMilliseconds)
        scan = SpaceTimeScan(configuration: configuration, cellSize: grid.cellSize, latenessHours: latenessHours, maxKeys: maxKeys)
        recent = RecentIncidents(keepHours: Int64(configuration.durationsHours.max() ?? 1) + Int64(latenessHours) + 1)
    }

    var keyCount: Int { scan.table.keyCount }
    var capHits: Int { scan.capHits }
    private static func thresholds(of configuration: ClusterScanConfiguration) -> [Double] {
        ScanFamily.allCases.map { configuration.surprise(forRecurrenceDays: configuration.minRecurrenceDays, family: $0) }
    }

    private static func endFloors(of configuration: ClusterScanConfiguration) -> [Double] {
        ScanFamily.allCases.map { configuration.surprise(forRecurrenceDays: configuration.minRecurrenceDays / 4, family: $0) * (1 - 1e-9) }
    }

    /// Before an incident of hour `hour` counts: when a new hour began, scans every open cluster
    /// again over the hours that ended and closes those no longer significant.
    mutating func advance(to hour: Int64, names: Interner) -> [Alert] {
        guard let checked = checkedHour else {
            checkedHour = hour
            return []
        }
        guard hour > checked else { return [] }
        checkedHour = hour
        guard !open.isEmpty else { return [] }
        var alerts: [Alert] = []
        var still: [Cluster] = []
        let ending = log(configuration.minRecurrenceDays / 4)
        for var cluster in open {
            // Still open when the cylinder that kept it open last time still reaches the ending
            // level: then a full scan's strongest cylinder does too (it ranks at least as high), and
            // an open cluster's re-check states nothing else, so the decision is the same. Counted
            // as the evaluation it stands for.
            if stillOpen(cluster, endHour: hour - 1, ending: ending) {
                evaluations += 1
                still.append(cluster)
                continue
            }
            // Otherwise only the cylinders that may keep the cluster open (the others' surprises are
            // never computed); a cluster that still has one gets the same strongest cylinder as a
            // full scan (every cylinder at or above the ending level is visited, in the same order).
            var best = strongest(
                centre: cluster.centre, layer: cluster.layer, and: nil, endHour: hour - 1, incident: nil, atLeast: endFloors,
                names: names)
            if best.map({ configuration.logRecurrenceDays($0) < ending }) ?? true {
                // It ends (or sits at the edge): the alert states the strongest cylinder of all, so
                // the full scan, not counted again (the probe cadence follows the evaluations).
                best = strongest(
                    centre: cluster.centre, layer: cluster.layer, and: nil, endHour: hour - 1, incident: nil, counted: false,
                    names: names)
            }
            // Hysteresis: a cluster ends only well below the alerting level (a quarter of its
            // recurrence interval), so a cluster at the edge does not end and re-emerge hour by hour.
            if let best, configuration.logRecurrenceDays(best) >= ending {
                cluster.keptOpenBy = (best.radiusCells, best.durationHours)
                still.append(cluster)
            } else {
                alerts.append(
                    alert(
                        .clusterEnded, cluster: cluster, cylinder: best, eventTime: ClusterTime.start(ofHour: hour),
                        names: names, previous: cluster.peakObserved))
            }
        }
        open = still
        return alerts
    }

    /// Whether the cylinder that last kept `cluster` open, ending at `endHour`, is still a
    /// candidate the full re-check would visit (enough occurrences, at or above its family's ending
    /// floor) at or above the `ending` level.
    private mutating func stillOpen(_ cluster: Cluster, endHour: Int64, ending: Double) -> Bool {
        let (radiusCells, durationHours) = cluster.keptOpenBy
        let floor = endFloors[configuration.family(layer: cluster.layer, durationHours: durationHours).rawValue]
        guard
            let c = scan.cylinder(
                centre: cluster.centre, layer: cluster.layer, endHour: endHour, radiusCells: radiusCells,
                durationHours: durationHours, atLeast: floor)
        else { return false }
        return c.observed >= configuration.minimumObserved && c.surprise > 0 && c.surprise >= floor
            && configuration.logRecurrenceDays(c) >= ending
    }

    /// Counts `incident` (cell and category id already resolved) and scans the cylinders around it.
    mutating func observe(_ incident: Incident, cell: GridCell, category: UInt16, names: Interner) -> [Alert] {
        let hour = ClusterTime.hour(of: incident.eventTime)
        let ms = incident.eventTime.milliseconds
        newestMilliseconds = max(newestMilliseconds, ms)
        // One occurrence per layer and point within the repeat window of the last one counted there.
        var point = StableHash()
        point.combine(Int64(bitPattern: incident.latitude.bitPattern))
        point.combine(Int64(bitPattern: incident.longitude.bitPattern))
        let window = max(Int64(configuration.repeatWindowHours) * ClusterTime.hourMilliseconds, 1)
        // The layers this incident counts in (all categories, then its own), at most two: kept in
        // locals, as an array here was two allocations per incident.
        var first: UInt16?
        var second: UInt16?
        for index in 0..<2 {
            let layer = index == 0 ? 0 : category &+ 1
            var key = point
            key.combine(Int64(layer))
            guard seen.record(key.value, ms, unlessWithin: window) else { continue }
            scan.add(cell: cell, layer: layer, hour: hour)
            if first == nil { first = layer } else { second = layer }
        }
        recent.append(cell: cell, hour: hour, category: category, id: incident.id)
        sinceExpiry += 1
        if sinceExpiry >= 4096 {
            sinceExpiry = 0
            // The scan frees keys by week, so a second pass in the same week frees none of them
            // (at 20× Toronto's density 4,096 incidents take a third of a week).
            let week = ClusterTime.week(ofHour: hour)
            if week != expiredWeek {
                expiredWeek = week
                expire(currentHour: hour)
            }
        }
        guard let first,
            let best = strongest(
                centre: cell, layer: first, and: second, endHour: hour, incident: incident.id, atLeast: thresholds, names: names),
            best.surprise >= thresholds[configuration.family(layer: best.layer, durationHours: best.durationHours).rawValue]
        else { return [] }
        return track(best, incident: incident, names: names)
    }

    /// The candidate cylinder (observed ≥ minimum) with the longest recurrence interval over
    /// `layer` and then `second`, in scan order (within one family: the largest surprise). With
    /// `atLeast` (each family's floor, `ScanFamily` order) only a candidate reaching its family's
    /// floor is returned (nil otherwise), which lets the scan skip the ratios of cylinders that
    /// cannot; the strongest one is the same when it reaches it. `counted`: whether this adds to
    /// `evaluations` (a second look at the same cylinders does not).
    private mutating func strongest(
        centre: GridCell, layer first: UInt16, and second: UInt16?, endHour: Int64, incident: String?,
        atLeast: [Double]? = nil, counted: Bool = true, names: Interner
    ) -> ScanCylinder? {
        // What ranking reads is copied into the ranking: the closures below then capture nothing
        // of `self`, only this local (a closure literal's capture needs no runtime exclusivity
        // check; a local function's captured variables did, six calls per disc radius).
        var ranking = CylinderRanking(
            minimum: configuration.minimumObserved, longFrom: configuration.longFromHours, calibrations: configuration.calibrations)
        for index in 0..<(second == nil ? 1 : 2) {
            let layer = index == 0 ? first : second!
            if counted { evaluations += 1 }
            if let incident, probeEvery > 0, evaluations % probeEvery == 0 {
                // A probe: every cylinder, recorded.
                var recorded: [ClusterProbe] = []
                let layerName = layer != 0 ? names.name(layer - 1) : nil
                _ = scan.evaluate(centre: centre, layer: layer, endHour: endHour, minimumObserved: 0, floors: .none) { c in
                    recorded.append(ClusterProbe(incident: incident, layer: layerName, cylinder: c))
                    ranking.consider(c)
                }
                probes += recorded
                continue
            }
            var floors = ScanFloors.none
            if let atLeast {
                let short = layer == 0 ? ScanFamily.allShort : .categoryShort
                let long = layer == 0 ? ScanFamily.allLong : .categoryLong
                floors = ScanFloors(short: atLeast[short.rawValue], long: atLeast[long.rawValue])
            }
            _ = scan.evaluate(centre: centre, layer: layer, endHour: endHour, minimumObserved: ranking.minimum, floors: floors) { c in
                ranking.consider(c)
            }
        }
        return ranking.best
    }

    private mutating func track(_ best: ScanCylinder, incident: Incident, names: Interner) -> [Alert] {
        if let i = open.firstIndex(where: { overlaps($0, best) }) {
            var cluster = open[i]
            cluster.peakObserved = max(cluster.peakObserved, best.observed)
            let grown = max(
                Int((Double(cluster.announcedObserved) * configuration.growthFactor).rounded(.up)), cluster.announcedObserved + 3)
            var alerts: [Alert] = []
            if best.observed >= grown {
                let previous = cluster.announcedObserved
                cluster.announcedObserved = best.observed
                alerts.append(
                    alert(.clusterGrew, cluster: cluster, cylinder: best, eventTime: incident.eventTime, names: names, previous: previous))
            }
            open[i] = cluster
            return alerts
        }
        var hash = StableHash()
        hash.combine(Self.ruleName)
        hash.combine(best.layer == 0 ? "" : names.name(best.layer - 1))
        hash.combine(Int64(best.centre.x))
        hash.combine(Int64(best.centre.y))
        hash.combine(best.windowStart.milliseconds)
        let cluster = Cluster(
            id: "clu-\(hash.hex)", layer: best.layer, centre: best.centre, radiusCells: best.radiusCells,
            startHour: best.endHour - Int64(best.durationHours) + 1, announcedObserved: best.observed,
            peakObserved: best.observed, neighbourhood: incident.neighbourhood,
            keptOpenBy: (best.radiusCells, best.durationHours))
        open.append(cluster)
        return [alert(.clusterEmerging, cluster: cluster, cylinder: best, eventTime: incident.eventTime, names: names, previous: nil)]
    }

    private func overlaps(_ cluster: Cluster, _ c: ScanCylinder) -> Bool {
        let dx = Int(cluster.centre.x) - Int(c.centre.x)
        let dy = Int(cluster.centre.y) - Int(c.centre.y)
        let reach = cluster.radiusCells + c.radiusCells + 1
        return dx * dx + dy * dy <= reach * reach
    }

    private func alert(
        _ kind: Alert.Kind, cluster: Cluster, cylinder: ScanCylinder?, eventTime: Timestamp, names: Interner,
        previous: Int?
    ) -> Alert {
        let c =
            cylinder
            ?? ScanCylinder(
                centre: cluster.centre, layer: cluster.layer, radiusCells: cluster.radiusCells, cellCount: 0,
                durationHours: 1, endHour: ClusterTime.hour(of: eventTime) - 1, observed: 0, expected: 0, baselineWeight: 0, llr: 0,
                surprise: 0)
        let cells = grid.disc(around: c.centre, radius: c.radiusCells)
        let entries = recent.entries(in: cells, layer: c.layer, endHour: c.endHour, hours: Int64(c.durationHours))
        var perCategory: [UInt16: Int] = [:]
        for e in entries { perCategory[e.category, default: 0] += 1 }
        let categories = perCategory.map { CategoryCount(category: names.name($0.key), count: $0.value) }
            .sorted { ($0.count, $1.category) > ($1.count, $0.category) }
        let days = configuration.recurrenceDays(c)
        let minimum = configuration.minRecurrenceDays
        let severity: Alert.Severity = kind == .clusterEnded ? .low : days >= 10 * minimum ? .high : .medium
        var hash = StableHash()
        hash.combine(cluster.id)
        hash.combine(kind.rawValue)
        hash.combine(c.endHour)
        hash.combine(Int64(c.observed))
        let layerName = cluster.layer == 0 ? nil : names.name(cluster.layer - 1)
        let centre = grid.centre(of: c.centre)
        let start = kind == .clusterEnded ? ClusterTime.start(ofHour: cluster.startHour) : c.windowStart
        return Alert(
            id: kind == .clusterEmerging ? cluster.id : "clu-\(hash.hex)", kind: kind, rule: Self.ruleName, severity: severity,
            eventTime: eventTime, category: layerName, neighbourhood: cluster.neighbourhood, cell: c.centre,
            latitude: centre.latitude, longitude: centre.longitude, cellSize: grid.cellSize,
            windowStart: start, windowEnd: c.windowEnd, count: c.observed, threshold: nil, surge: nil, hotspot: nil,
            incidentIDs: entries.suffix(16).map(\.id),
            cluster: ClusterEvidence(
                id: cluster.id, layer: layerName, radiusMetres: (Double(c.radiusCells) + 0.5) * grid.cellSize,
                durationHours: c.durationHours, observed: c.observed, expected: c.expected, llr: c.llr, surprise: c.surprise,
                recurrenceDays: days, cells: cells, categories: categories, previousObserved: previous))
    }

    private mutating func expire(currentHour: Int64) {
        // An entry older than this can no longer be within the repeat window of an accepted incident.
        let horizon = newestMilliseconds - latenessMilliseconds - Int64(configuration.repeatWindowHours) * ClusterTime.hourMilliseconds - 1
        seen.removeAll(before: horizon)
        _ = scan.expire(currentHour: currentHour)
        recent.expire(currentHour: currentHour)
    }
}

/// The strongest candidate cylinder seen so far (`ClusterDetector.strongest`): families compare by
/// recurrence interval; within one a larger surprise wins (also where rounding makes two
/// intervals equal).
private struct CylinderRanking {
    let minimum: Int
    let longFrom: Int
    let calibrations: [RecurrenceCalibration]
    private(set) var best: ScanCylinder?
    private var bestRank = -Double.infinity
    private var bestFamily = -1

    init(minimum: Int, longFrom: Int, calibrations: [RecurrenceCalibration]) {
        self.minimum = minimum
        self.longFrom = longFrom
        self.calibrations = calibrations
    }

    mutating func consider(_ c: ScanCylinder) {
        guard c.observed >= minimum, c.surprise > 0 else { return }
        let family = ScanFamily(layer: c.layer, durationHours: c.durationHours, longFromHours: longFrom).rawValue
        let rank = calibrations[family].logDays(surprise: c.surprise)
        if rank > bestRank || (rank == bestRank && family == bestFamily && c.surprise > best!.surprise) {
            best = c
            bestRank = rank
            bestFamily = family
        }
    }
}
