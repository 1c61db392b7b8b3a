/// The prospective space-time scan's counting and testing, without lifecycle: occurrences per
/// (cell, layer) and city-wide profiles in, cylinders ending at a given hour out.
///
/// Exactly the statistic of docs/CLUSTERS.md. An evaluation reads the (2R+1)² cells around one
/// centre: its cost does not depend on the grid's size nor on how many incidents the place holds.
struct SpaceTimeScan: Sendable {
    let configuration: ClusterScanConfiguration
    let radius: Int
    let durations: [Int64]
    /// Disc cells around a centre, nearest ring first: offset and the smallest radius holding it.
    let offsets: [(dx: Int32, dy: Int32, ring: Int)]
    let cellsWithin: [Int]
    private(set) var table: ScanCountTable
    private var profiles: [ScanCityProfile] = []
    /// Scratch per evaluation: observed per (ring, duration), baseline per ring.
    private var observedScratch: [UInt32]
    private var baselineScratch: [UInt32]
    let maxKeys: Int
    private(set) var capHits = 0

    init(configuration: ClusterScanConfiguration, cellSize: Double, latenessHours: Int, maxKeys: Int) {
        self.configuration = configuration
        radius = configuration.maxRadiusCells(cellSize: cellSize)
        durations = configuration.durationsHours.sorted().map(Int64.init)
        var offsets: [(dx: Int32, dy: Int32, ring: Int)] = []
        let r = Int32(radius)
        if r >= 0 {
            for dx in -r...r {
                for dy in -r...r where dx * dx + dy * dy <= r * r {
                    let d2 = Int(dx * dx + dy * dy)
                    var ring = 0
                    while ring * ring < d2 { ring += 1 }
                    offsets.append((dx, dy, ring))
                }
            }
        }
        offsets.sort { ($0.ring, $0.dx, $0.dy) < ($1.ring, $1.dx, $1.dy) }
        self.offsets = offsets
        cellsWithin = (0...radius).map { ring in offsets.filter { $0.ring <= ring }.count }
        table = ScanCountTable(longestHours: Int(durations.last ?? 1), latenessHours: latenessHours)
        observedScratch = [UInt32](repeating: 0, count: (radius + 1) * durations.count)
        baselineScratch = [UInt32](repeating: 0, count: radius + 1)
        self.maxKeys = maxKeys
    }

    @inline(__always) static func key(_ cell: GridCell, layer: UInt16) -> UInt64 {
        (UInt64(UInt32(bitPattern: cell.x) & 0xFF_FFFF) << 40) | (UInt64(UInt32(bitPattern: cell.y) & 0xFF_FFFF) << 16) | UInt64(layer)
    }

    /// Counts one occurrence of `layer` in `cell` at `hour`.
    mutating func add(cell: GridCell, layer: UInt16, hour: Int64) {
        while profiles.count <= Int(layer) { profiles.append(ScanCityProfile()) }
        profiles[Int(layer)].add(hour: hour)
        if let slot = table.slot(for: Self.key(cell, layer: layer), admit: table.keyCount < maxKeys) {
            table.add(slot: slot, hour: hour)
        } else {
            capHits += 1
        }
    }

    /// Every cylinder centred on `centre` for `layer` ending at `endHour` (radius-major, then
    /// duration), or nil when the layer has no baseline yet. `visit` sees each cylinder.
    mutating func evaluate(centre: GridCell, layer: UInt16, endHour: Int64, visit: (ScanCylinder) -> Void) -> Bool {
        guard Int(layer) < profiles.count, !profiles.isEmpty else { return false }
        let week = ClusterTime.week(ofHour: endHour)
        let weeksWithData = profiles[0].weeksWithData(week: week)
        guard weeksWithData > 0, weeksWithData >= configuration.minimumBaselineWeeks else { return false }
        let all = profiles[0].summary(week: week)
        let city = profiles[Int(layer)].summary(week: week)
        guard city.baselineTotal > 0 else { return false }
        let wa = Double(weeksWithData)
        let level = (city.recentTotal + 1) / (4 * city.baselineTotal / wa + 1)
        let prior = configuration.priorPerCellYear / 52 * (city.baselineTotal / all.baselineTotal)

        let nd = durations.count
        for i in observedScratch.indices { observedScratch[i] = 0 }
        for i in baselineScratch.indices { baselineScratch[i] = 0 }
        for o in offsets {
            let cell = GridCell(x: centre.x &+ o.dx, y: centre.y &+ o.dy)
            guard let slot = table.slot(of: Self.key(cell, layer: layer)) else { continue }
            baselineScratch[o.ring] &+= table.baseline(slot: slot, week: week)
            let row = o.ring * nd
            for j in 0..<nd { observedScratch[row + j] &+= table.count(slot: slot, endHour: endHour, length: durations[j]) }
        }
        var observed = [Int](repeating: 0, count: nd)
        var baseline = 0
        for ring in 0...radius {
            baseline += Int(baselineScratch[ring])
            let cells = cellsWithin[ring]
            for j in 0..<nd {
                observed[j] += Int(observedScratch[ring * nd + j])
                let d = durations[j]
                let start = ClusterTime.hourOfWeek(endHour - d + 1)
                let share = (city.prefix[start + Int(d)] - city.prefix[start]) / Double(ScanCityProfile.hoursPerWeek)
                let expected = level * share * (Double(baseline) / wa + prior * Double(cells))
                let o = observed[j]
                visit(ScanCylinder(centre: centre, layer: layer, radiusCells: ring, cellCount: cells, durationHours: Int(d),
                                   endHour: endHour, observed: o, expected: expected,
                                   llr: ScanCylinder.likelihoodRatio(observed: o, expected: expected)))
            }
        }
        return true
    }

    /// Frees keys no baseline or cylinder reaches any more.
    mutating func expire(currentHour: Int64) -> Int {
        table.expire(olderThanWeek: ClusterTime.week(ofHour: currentHour) - ScanCountTable.baselineFirst - 1)
    }
}
