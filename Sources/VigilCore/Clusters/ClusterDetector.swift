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

    var configuration: ClusterScanConfiguration {
        didSet {
            thresholds = Self.thresholds(of: configuration)
            endFloors = Self.endFloors(of: configuration)
            lifecycle.configuration = configuration
        }
    }
    /// The alerting surprise of each family (`ScanFamily` order): every incident's evaluation reads
    /// it, so it is kept with the configuration (a reload replaces both) instead of recomputed.
    private(set) var thresholds: [Double]
    /// Each family's surprise at the ending level (a quarter of `minRecurrenceDays`), lowered by a
    /// relative 1e-9: the hourly re-check of an open cluster only needs cylinders at or above its
    /// ending level, and the slack keeps every cylinder that rounding could put there.
    private var endFloors: [Double]
    let grid: MetricGrid
    let latenessMilliseconds: Int64
    private var scan: SpaceTimeScan
    /// Scaled out only (`observeRouted`): the own centres that may hold an open cluster.
    var watches: [Watch] = []
    private var recent: RecentIncidents
    private var seen = LastOccurrenceTable()
    /// `seen`'s size at which its old entries are dropped between the weekly expiry passes.
    private var seenLimit = 1024
    private var newestMilliseconds = Int64.min
    private(set) var lifecycle: ClusterLifecycle
    var open: [ClusterLifecycle.Cluster] { lifecycle.open }
    /// Read after every incident: the count alone, without handing out (retaining) the array.
    var openCount: Int { lifecycle.open.count }
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
        lifecycle = ClusterLifecycle(configuration: configuration, grid: grid)
        latenessMilliseconds = allowedLateness.milliseconds
        let latenessHours = Int((allowedLateness.milliseconds + ClusterTime.hourMilliseconds - 1) / ClusterTime.hourMilliseconds)
        scan = SpaceTimeScan(configuration: configuration, cellSize: grid.cellSize, latenessHours: latenessHours, maxKeys: maxKeys)
        recent = RecentIncidents(keepHours: Int64(configuration.durationsHours.max() ?? 1) + Int64(latenessHours) + 1)
    }

    var keyCount: Int { scan.table.keyCount }

    /// Counts `count` of the city's occurrences in the profile only (scaled out).
    mutating func addCity(layer: UInt16, hour: Int64, count: UInt32) { scan.addCity(layer: layer, hour: hour, count: count) }
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
        let ending = log(configuration.minRecurrenceDays / 4)
        let results = open.map {
            recheck(
                centre: $0.centre, layer: $0.layer, keptOpenBy: $0.keptOpenBy, radii: [$0.radiusCells], hour: hour, ending: ending,
                names: names)
        }
        return lifecycle.recheck(hour: hour, results: results)
    }

    /// The re-check at a new hour `hour` of the cluster at `centre` in `layer` over the hours that
    /// ended: still open, or ended with the strongest cylinder (or, when none has enough
    /// occurrences, the quiet disc of each of `radii`).
    mutating func recheck(
        centre: GridCell, layer: UInt16, keptOpenBy: (radiusCells: Int, durationHours: Int), radii: [Int], hour: Int64,
        ending: Double, names: Interner
    ) -> ClusterRecheck {
        // Still open when the cylinder that kept it open last time still reaches the ending
        // level: then a full scan's strongest cylinder does too (it ranks at least as high), and
        // an open cluster's re-check states nothing else, so the decision is the same. Counted
        // as the evaluation it stands for.
        if stillOpen(centre: centre, layer: layer, keptOpenBy: keptOpenBy, endHour: hour - 1, ending: ending) {
            evaluations += 1
            return .open(radiusCells: keptOpenBy.radiusCells, durationHours: keptOpenBy.durationHours)
        }
        // Otherwise only the cylinders that may keep the cluster open (the others' surprises are
        // never computed); a cluster that still has one gets the same strongest cylinder as a
        // full scan (every cylinder at or above the ending level is visited, in the same order).
        var best = strongest(centre: centre, layer: layer, and: nil, endHour: hour - 1, incident: nil, atLeast: endFloors, names: names)
        if best.map({ configuration.logRecurrenceDays($0) < ending }) ?? true {
            // It ends (or sits at the edge): the alert states the strongest cylinder of all, so
            // the full scan, not counted again (the probe cadence follows the evaluations).
            best = strongest(centre: centre, layer: layer, and: nil, endHour: hour - 1, incident: nil, counted: false, names: names)
        }
        // Hysteresis: a cluster ends only well below the alerting level (a quarter of its
        // recurrence interval), so a cluster at the edge does not end and re-emerge hour by hour.
        if let best, configuration.logRecurrenceDays(best) >= ending {
            return .open(radiusCells: best.radiusCells, durationHours: best.durationHours)
        }
        if let best { return .ended(best: finding(best, names: names), quiet: [:]) }
        var quiet: [Int: ClusterFinding] = [:]
        for r in radii {
            let empty = ScanCylinder(
                centre: centre, layer: layer, radiusCells: r, cellCount: 0, durationHours: 1, endHour: hour - 1, observed: 0,
                expected: 0, baselineWeight: 0, llr: 0, surprise: 0)
            quiet[r] = finding(empty, names: names)
        }
        return .ended(best: nil, quiet: quiet)
    }

    /// `c` with the incidents an alert cites.
    func finding(_ c: ScanCylinder, names: Interner) -> ClusterFinding {
        Self.finding(c, recent: recent, grid: grid, names: names)
    }

    private static func finding(_ c: ScanCylinder, recent: RecentIncidents, grid: MetricGrid, names: Interner) -> ClusterFinding {
        let cells = grid.disc(around: c.centre, radius: c.radiusCells)
        let (perCategory, cited) = recent.citations(
            in: cells, layer: c.layer, endHour: c.endHour, hours: Int64(c.durationHours), newest: ClusterFinding.citedIncidents)
        let categories = perCategory.map { CategoryCount(category: names.name($0.key), count: $0.value) }
            .sorted { ($0.count, $1.category) > ($1.count, $0.category) }
        return ClusterFinding(
            cylinder: c, layerName: c.layer == 0 ? nil : names.name(c.layer - 1), citations: cited,
            categories: categories)
    }

    /// Whether the cylinder that last kept a cluster open, ending at `endHour`, is still a
    /// candidate the full re-check would visit (enough occurrences, at or above its family's ending
    /// floor) at or above the `ending` level.
    private mutating func stillOpen(
        centre: GridCell, layer: UInt16, keptOpenBy: (radiusCells: Int, durationHours: Int), endHour: Int64, ending: Double
    ) -> Bool {
        let (radiusCells, durationHours) = keptOpenBy
        let floor = endFloors[configuration.family(layer: layer, durationHours: durationHours).rawValue]
        guard
            let c = scan.cylinder(
                centre: centre, layer: layer, endHour: endHour, radiusCells: radiusCells,
                durationHours: durationHours, atLeast: floor)
        else { return false }
        return c.observed >= configuration.minimumObserved && c.surprise > 0 && c.surprise >= floor
            && configuration.logRecurrenceDays(c) >= ending
    }

    /// Counts `incident` (cell and category id already resolved) and scans the cylinders around it.
    mutating func observe(_ incident: Incident, cell: GridCell, category: UInt16, names: Interner) -> [Alert] {
        let hour = ClusterTime.hour(of: incident.eventTime)
        let (first, second) = count(incident, hour: hour, cell: cell, category: category, countsCity: true)
        guard let first,
            let best = strongest(
                centre: cell, layer: first, and: second, endHour: hour, incident: incident.id, atLeast: thresholds, names: names),
            best.surprise >= thresholds[configuration.family(layer: best.layer, durationHours: best.durationHours).rawValue]
        else { return [] }
        return track(best, incident: incident, names: names)
    }

    /// Counts `incident` in the layers where it is a new occurrence (all categories, then its
    /// own; at most two, returned in that order) and keeps it to cite.
    mutating func count(
        _ incident: Incident, hour: Int64, cell: GridCell, category: UInt16, countsCity: Bool
    ) -> (UInt16?, UInt16?) {
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
            scan.add(cell: cell, layer: layer, hour: hour, countsCity: countsCity)
            if first == nil { first = layer } else { second = layer }
        }
        recent.append(cell: cell, hour: hour, category: category, id: incident.id)
        // The repeat rule only looks back over its window and the lateness (an hour by default),
        // but the weekly pass below left a week of points in `seen`: a table of thousands, probed
        // twice an incident at random places, a cache miss each. Dropping what no accepted incident
        // can match whenever the table doubles keeps it to about what that span holds, at a cost
        // proportional to the inserts. The rule decides the same: see `expire(currentHour:)`.
        if seen.count >= seenLimit {
            seen.removeAll(before: repeatHorizon, room: Self.seenLimit(kept:))
            seenLimit = Self.seenLimit(kept: seen.count)
        }
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
        return (first, second)
    }

    /// The candidate cylinder (observed ≥ minimum) with the longest recurrence interval over
    /// `layer` and then `second`, in scan order (within one family: the largest surprise). With
    /// `atLeast` (each family's floor, `ScanFamily` order) only a candidate reaching its family's
    /// floor is returned (nil otherwise), which lets the scan skip the ratios of cylinders that
    /// cannot; the strongest one is the same when it reaches it. `counted`: whether this adds to
    /// `evaluations` (a second look at the same cylinders does not).
    mutating func strongest(
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
        let layerName = best.layer == 0 ? nil : names.name(best.layer - 1)
        // The finding is read from `recent` only when an alert states it; `self` is not captured
        // while the lifecycle is mutated.
        let recentCopy = recent
        let grid = grid
        return lifecycle.track(best, layerName: layerName, eventTime: incident.eventTime, neighbourhood: incident.neighbourhood) {
            Self.finding(best, recent: recentCopy, grid: grid, names: names)
        }
    }

    /// The repeat rule's horizon: an entry of `seen` older than this can no longer be within the
    /// repeat window of an accepted incident (accepted incidents are at most the lateness behind
    /// the newest).
    private var repeatHorizon: Int64 {
        newestMilliseconds - latenessMilliseconds - Int64(configuration.repeatWindowHours) * ClusterTime.hourMilliseconds - 1
    }

    /// The size `seen` may reach before the next purge, after one that kept `kept` keys.
    private static func seenLimit(kept: Int) -> Int { max(1024, 2 * kept) }

    private mutating func expire(currentHour: Int64) {
        seen.removeAll(before: repeatHorizon, room: Self.seenLimit(kept:))
        seenLimit = Self.seenLimit(kept: seen.count)
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
