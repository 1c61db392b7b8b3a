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
    /// The same cells in the order they are read, column by column: a column's cells are
    /// neighbours in the table's per-cell state (the sums per ring do not depend on the order).
    let tileOrder: [(dx: Int32, dy: Int32, ring: Int)]
    private(set) var table: ScanCountTable
    private var profiles: [ScanCityProfile] = []
    /// Scratch per evaluation: observed per (ring, duration), baseline per ring.
    private var observedScratch: [UInt32]
    private var baselineScratch: [UInt32]
    /// Scratch per evaluation: disc cells whose baselines are read only if the bound needs them.
    private var pendingLocation: [Int]
    private var pendingRing: [Int]
    private var pendingCount = 0
    /// Per disc column offset |dx|: the largest |dy| in the disc. Per (dx, dy) in the bounding
    /// square (row-major by dx): the smallest radius holding it. Scratch: disc bits per window tile.
    private let halfHeight: [Int]
    private let ringOf: [Int]
    private var tileDisc: [UInt64] = []
    let maxKeys: Int
    private(set) var capHits = 0
    /// For the likelihood-ratio floor `ceilingFloor`: at index o, an expected count above which o
    /// occurrences cannot reach the floor (`ScanCylinder.maximumExpected`), grown on demand.
    private var expectedCeiling: [Double] = []
    private var ceilingFloor = Double.nan

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
        tileOrder = offsets.sorted { ($0.dx, $0.dy) < ($1.dx, $1.dy) }
        cellsWithin = (0...radius).map { ring in offsets.filter { $0.ring <= ring }.count }
        table = ScanCountTable(longestHours: Int(durations.last ?? 1), latenessHours: latenessHours)
        observedScratch = [UInt32](repeating: 0, count: (radius + 1) * durations.count)
        baselineScratch = [UInt32](repeating: 0, count: radius + 1)
        pendingLocation = [Int](repeating: 0, count: offsets.count)
        var half = [Int](repeating: 0, count: max(radius, 0) + 1)
        var rings = [Int](repeating: 0, count: (2 * max(radius, 0) + 1) * (2 * max(radius, 0) + 1))
        for o in offsets {
            half[abs(Int(o.dx))] = max(half[abs(Int(o.dx))], abs(Int(o.dy)))
            rings[(Int(o.dx) + radius) * (2 * radius + 1) + Int(o.dy) + radius] = o.ring
        }
        halfHeight = half
        ringOf = rings
        let tilesAcross = (2 * max(radius, 0)) / ScanSlotIndex.tileSide + 2
        tileDisc = [UInt64](repeating: 0, count: tilesAcross * tilesAcross)
        pendingRing = [Int](repeating: 0, count: offsets.count)
        self.maxKeys = maxKeys
    }

    /// Counts one occurrence of `layer` in `cell` at `hour`.
    mutating func add(cell: GridCell, layer: UInt16, hour: Int64) {
        while profiles.count <= Int(layer) { profiles.append(ScanCityProfile()) }
        profiles[Int(layer)].add(hour: hour)
        if !table.add(cell: cell, layer: layer, hour: hour, admit: table.keyCount < maxKeys) { capHits += 1 }
    }

    /// Every cylinder centred on `centre` for `layer` ending at `endHour` (radius-major, then
    /// duration) with at least `minimumObserved` occurrences, or false when the layer has no
    /// baseline yet. `visit` sees each such cylinder (pass 0 to see them all, as probes do);
    /// the others cannot be candidates, so their likelihood ratio is never computed.
    ///
    /// With `llrFloor` > 0 the caller only needs cylinders whose likelihood ratio reaches it (an
    /// incident's evaluation only matters when it alerts): a cylinder whose expected count is
    /// above the largest one at which its observed count could still reach the floor is skipped
    /// without computing its logarithm. Every cylinder that reaches the floor is still visited,
    /// in the same order, so the strongest one is the same.
    mutating func evaluate(
        centre: GridCell, layer: UInt16, endHour: Int64, minimumObserved: Int = 0, llrFloor: Double = 0,
        visit: (ScanCylinder) -> Void
    ) -> Bool {
        guard Int(layer) < profiles.count, !profiles.isEmpty else { return false }
        let week = ClusterTime.week(ofHour: endHour)
        let all = profiles[0].summary(week: week)
        let weeksWithData = all.weeksWithData
        guard weeksWithData > 0, weeksWithData >= configuration.minimumBaselineWeeks else { return false }
        let city = profiles[Int(layer)].summary(week: week)
        guard city.baselineTotal > 0 else { return false }
        let wa = Double(weeksWithData)
        let level = (city.recentTotal + 1) / (4 * city.baselineTotal / wa + 1)
        let prior = configuration.priorPerCellYear / 52 * (city.baselineTotal / all.baselineTotal)

        let nd = durations.count
        for i in observedScratch.indices { observedScratch[i] = 0 }
        for i in baselineScratch.indices { baselineScratch[i] = 0 }
        table.beginDisc(centre: centre, radius: radius, layer: layer)
        // First the cells that may hold recent occurrences (about one in nine on Toronto), with
        // their baselines; the others count nothing and are only needed for the baselines.
        pendingCount = 0
        let byTiles = discPassByTiles(centre: centre, endHour: endHour, week: week)
        if !byTiles {
            for o in tileOrder {
                let at = table.discLocation(GridCell(x: centre.x &+ o.dx, y: centre.y &+ o.dy))
                guard at >= 0 else { continue }
                if table.mayCount(location: at, endHour: endHour) {
                    baselineScratch[o.ring] &+= table.baseline(location: at, week: week)
                    table.addRecentCounts(
                        location: at, endHour: endHour, lengths: durations, into: &observedScratch, at: o.ring * durations.count)
                } else {
                    pendingLocation[pendingCount] = at
                    pendingRing[pendingCount] = o.ring
                    pendingCount += 1
                }
            }
        }
        // Running sums over rings, in place: row `ring` becomes the disc of that radius.
        var ring = 1
        while ring <= radius {
            for j in 0..<nd { observedScratch[ring * nd + j] &+= observedScratch[(ring - 1) * nd + j] }
            ring += 1
        }
        // Baselines are sums of non-negative counts, so the cells read so far give every
        // expectation a lower bound; when even that puts every cylinder below the floor, the
        // evaluation ends without reading the other cells' baselines.
        if llrFloor > 0, pendingCount > 0,
            !anyCylinderMayReach(
                floor: llrFloor, minimumObserved: minimumObserved, endHour: endHour, city: city, level: level, wa: wa,
                prior: prior)
        {
            return true
        }
        if byTiles {
            addPendingBaselinesByTiles(centre: centre, week: week)
        } else {
            for k in 0..<pendingCount {
                baselineScratch[pendingRing[k]] &+= table.baseline(location: pendingLocation[k], week: week)
            }
        }
        ring = 1
        while ring <= radius {
            baselineScratch[ring] &+= baselineScratch[ring - 1]
            ring += 1
        }
        for ring in 0...radius {
            let baseline = Int(baselineScratch[ring])
            let cells = cellsWithin[ring]
            for j in 0..<nd {
                let o = Int(observedScratch[ring * nd + j])
                guard o >= minimumObserved else { continue }
                let d = durations[j]
                let expected = Self.expected(
                    baseline: Double(baseline), cells: cells, hours: d, endHour: endHour, city: city, level: level, wa: wa, prior: prior)
                if llrFloor > 0, expected > expectedCeiling(observed: o, floor: llrFloor) { continue }
                visit(
                    ScanCylinder(
                        centre: centre, layer: layer, radiusCells: ring, cellCount: cells, durationHours: Int(d),
                        endHour: endHour, observed: o, expected: expected,
                        llr: ScanCylinder.likelihoodRatio(observed: o, expected: expected)))
            }
        }
        return true
    }

    /// The first pass of an evaluation, tile by tile: each window tile's disc cells as a 64-bit
    /// mask (a column of the disc is a run of bits), intersected with the tile's mask of cells
    /// that may hold recent occurrences; only those cells are read. The others go to the pending
    /// list for their baselines. False (nothing done) when the window wraps past Int32.
    private mutating func discPassByTiles(centre: GridCell, endHour: Int64, week: Int64) -> Bool {
        let window = table.window
        guard !window.wraps, radius >= 0 else { return false }
        let side = ScanSlotIndex.tileSide
        let rows = window.height
        let cx = Int(centre.x)
        let cy = Int(centre.y)
        for i in 0..<window.tiles.count { tileDisc[i] = 0 }
        for dx in -radius...radius {
            let x = cx + dx
            let h = halfHeight[abs(dx)]
            let column = (x >> ScanSlotIndex.tileShift) - Int(window.x)
            let px = x & (side - 1)
            var y = cy - h
            while y <= cy + h {
                let tileRow = y >> ScanSlotIndex.tileShift
                let last = min(cy + h, (tileRow << ScanSlotIndex.tileShift) + side - 1)
                let run = last - y + 1
                tileDisc[column * rows + tileRow - Int(window.y)] |=
                    ((UInt64(1) << UInt64(run)) - 1) << UInt64(px * side + (y & (side - 1)))
                y = last + 1
            }
        }
        let nd = durations.count
        let width = 2 * radius + 1
        for i in 0..<window.tiles.count {
            let tile = window.tiles[i]
            let disc = tileDisc[i]
            guard tile != ScanSlotIndex.none, disc != 0 else { continue }
            let originX = (Int(window.x) + i / rows) << ScanSlotIndex.tileShift
            let originY = (Int(window.y) + i % rows) << ScanSlotIndex.tileShift
            let base = Int(tile) * ScanSlotIndex.tileCells
            let active = disc & table.recentBits(tile: tile, endHour: endHour)
            var bits = active
            while bits != 0 {
                let p = bits.trailingZeroBitCount
                bits &= bits - 1
                let ring = ringOf[(originX + p / side - cx + radius) * width + originY + p % side - cy + radius]
                baselineScratch[ring] &+= table.recentBaseline(location: base + p, week: week)
                table.addRecentCounts(location: base + p, endHour: endHour, lengths: durations, into: &observedScratch, at: ring * nd)
            }
            // The rest waits in the tile's disc bits (read only if the bound needs them).
            tileDisc[i] = disc & ~active
            pendingCount += tileDisc[i].nonzeroBitCount
        }
        return true
    }

    /// Adds the baselines of the cells `discPassByTiles` left pending.
    private mutating func addPendingBaselinesByTiles(centre: GridCell, week: Int64) {
        let window = table.window
        let side = ScanSlotIndex.tileSide
        let rows = window.height
        let width = 2 * radius + 1
        let cx = Int(centre.x)
        let cy = Int(centre.y)
        for i in 0..<window.tiles.count where tileDisc[i] != 0 && window.tiles[i] != ScanSlotIndex.none {
            let originX = (Int(window.x) + i / rows) << ScanSlotIndex.tileShift
            let originY = (Int(window.y) + i % rows) << ScanSlotIndex.tileShift
            let base = Int(window.tiles[i]) * ScanSlotIndex.tileCells
            var bits = tileDisc[i]
            while bits != 0 {
                let p = bits.trailingZeroBitCount
                bits &= bits - 1
                let ring = ringOf[(originX + p / side - cx + radius) * width + originY + p % side - cy + radius]
                baselineScratch[ring] &+= table.baseline(location: base + p, week: week)
            }
        }
    }

    /// E of docs/CLUSTERS.md for a disc of `cells` cells with `baseline` occurrences in its baseline
    /// weeks, over the `hours` hours ending at `endHour`.
    @inline(__always) private static func expected(
        baseline: Double, cells: Int, hours d: Int64, endHour: Int64, city: ScanCityProfile.Summary, level: Double, wa: Double,
        prior: Double
    ) -> Double {
        let start = ClusterTime.hourOfWeek(endHour - d + 1)
        let share = (city.prefix[start + Int(d)] - city.prefix[start]) / Double(ScanCityProfile.hoursPerWeek)
        return level * share * (baseline / wa + prior * Double(cells))
    }

    /// Whether a cylinder with enough occurrences may reach `floor` with the baselines summed so
    /// far per ring (a lower bound of each disc's: the expectation only grows with the baseline,
    /// and the likelihood ratio only falls with the expectation).
    private mutating func anyCylinderMayReach(
        floor: Double, minimumObserved: Int, endHour: Int64, city: ScanCityProfile.Summary, level: Double, wa: Double,
        prior: Double
    ) -> Bool {
        let nd = durations.count
        var partial: UInt32 = 0
        for ring in 0...radius {
            partial &+= baselineScratch[ring]
            let cells = cellsWithin[ring]
            for j in 0..<nd {
                let o = Int(observedScratch[ring * nd + j])
                guard o >= minimumObserved else { continue }
                let atLeast = Self.expected(
                    baseline: Double(partial), cells: cells, hours: durations[j], endHour: endHour, city: city, level: level, wa: wa,
                    prior: prior)
                if atLeast <= expectedCeiling(observed: o, floor: floor) { return true }
            }
        }
        return false
    }

    /// `ScanCylinder.maximumExpected(observed:floor:)`, remembered per observed count for one floor.
    @inline(__always) private mutating func expectedCeiling(observed o: Int, floor: Double) -> Double {
        if floor != ceilingFloor {
            ceilingFloor = floor
            expectedCeiling.removeAll(keepingCapacity: true)
        }
        guard o < 4096 else { return .infinity }
        while expectedCeiling.count <= o {
            expectedCeiling.append(ScanCylinder.maximumExpected(observed: expectedCeiling.count, floor: floor))
        }
        return expectedCeiling[o]
    }

    /// Frees keys no baseline or cylinder reaches any more.
    mutating func expire(currentHour: Int64) -> Int {
        table.expire(olderThanWeek: ClusterTime.week(ofHour: currentHour) - ScanCountTable.baselineFirst - 1)
    }
}
