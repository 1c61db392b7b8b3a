/// The prospective space-time scan's counting and testing, without lifecycle: occurrences per
/// (cell, layer) and city-wide profiles in, cylinders ending at a given hour out.
///
/// Exactly the statistic of docs/CLUSTERS.md. An evaluation reads the (2R+1)² cells around one
/// centre: its cost does not depend on the grid's size nor on how many incidents the place holds.
struct SpaceTimeScan: Sendable {
    let configuration: ClusterScanConfiguration
    let radius: Int
    let durations: [Int64]
    /// Index of the first duration of the long families (`durations.count` when none is).
    let firstLong: Int
    /// Disc cells around a centre, nearest ring first: offset and the smallest radius holding it.
    let offsets: [(dx: Int32, dy: Int32, ring: Int)]
    let cellsWithin: [Int]
    /// The same cells in the order they are read, column by column: a column's cells are
    /// neighbours in the table's per-cell state (the sums per ring do not depend on the order).
    let tileOrder: [(dx: Int32, dy: Int32, ring: Int)]
    private(set) var table: ScanCountTable
    private var profiles: [ScanCityProfile] = []
    /// The weight ceilings of the floors evaluations pass (a row per floor and grid ratio, so a
    /// floor per layer or per family of durations keeps its own).
    private var ceilings = ScanWeightCeiling()
    /// Scratch per evaluation (when the window wraps past Int32): disc cells whose baselines are
    /// read only if the bound needs them.
    private var pendingLocation: [Int]
    private var pendingRing: [Int]
    /// Per disc column offset |dx|: the largest |dy| in the disc. Per (dx, dy) in the bounding
    /// square (row-major by dx): the smallest radius holding it.
    private let halfHeight: [Int]
    private let ringOf: [Int]
    /// The disc's bits per window tile for each position of the centre in its tile (8 × 8
    /// positions, `tilesAcross²` words each): the window's shape and the disc's place in it depend
    /// on nothing else, so an evaluation copies them instead of building them column by column.
    private let discMasks: [UInt64]
    private let tilesAcross: Int
    let maxKeys: Int
    private(set) var capHits = 0

    init(configuration: ClusterScanConfiguration, cellSize: Double, latenessHours: Int, maxKeys: Int) {
        self.configuration = configuration
        radius = configuration.maxRadiusCells(cellSize: cellSize)
        durations = configuration.durationsHours.sorted().map(Int64.init)
        firstLong = durations.firstIndex { $0 >= Int64(configuration.longFromHours) } ?? durations.count
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
        table = ScanCountTable(longestHours: Int(durations.last ?? 1), latenessHours: latenessHours, cachedLengths: durations)
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
        self.tilesAcross = tilesAcross
        var masks = [UInt64](repeating: 0, count: ScanSlotIndex.tileCells * tilesAcross * tilesAcross)
        let reach = radius
        if reach >= 0 {
            // A centre far enough from the origin that its window does not wrap; only its position
            // in its tile matters.
            let origin = (reach / ScanSlotIndex.tileSide + 2) * ScanSlotIndex.tileSide
            for position in 0..<ScanSlotIndex.tileCells {
                let cx = origin + position / ScanSlotIndex.tileSide
                let cy = origin + position % ScanSlotIndex.tileSide
                let windowX = (cx - reach) >> ScanSlotIndex.tileShift
                let windowY = (cy - reach) >> ScanSlotIndex.tileShift
                let rows = ((cy + reach) >> ScanSlotIndex.tileShift) - windowY + 1
                masks.withUnsafeMutableBufferPointer { m in
                    Self.buildDisc(
                        into: UnsafeMutableBufferPointer(rebasing: m[(position * tilesAcross * tilesAcross)...]), cx: cx, cy: cy,
                        radius: reach, halfHeight: half, windowX: windowX, windowY: windowY, rows: rows)
                }
            }
        }
        discMasks = masks
        pendingRing = [Int](repeating: 0, count: offsets.count)
        self.maxKeys = maxKeys
    }

    /// Counts one occurrence of `layer` in `cell` at `hour`; in the city's profile too unless
    /// `countsCity` is false (a partition of a scaled-out city, whose profile the router feeds:
    /// `addCity`).
    mutating func add(cell: GridCell, layer: UInt16, hour: Int64, countsCity: Bool = true) {
        while profiles.count <= Int(layer) { profiles.append(ScanCityProfile()) }
        if countsCity { profiles[Int(layer)].add(hour: hour) }
        if !table.add(cell: cell, layer: layer, hour: hour, admit: table.keyCount < maxKeys) { capHits += 1 }
    }

    /// Counts `count` of the city's occurrences of `layer` at `hour` in the city profile only.
    mutating func addCity(layer: UInt16, hour: Int64, count: UInt32) {
        while profiles.count <= Int(layer) { profiles.append(ScanCityProfile()) }
        profiles[Int(layer)].add(hour: hour, count: count)
    }

    /// Every cylinder centred on `centre` for `layer` ending at `endHour` (radius-major, then
    /// duration) with at least `minimumObserved` occurrences, or false when the layer has no
    /// baseline yet. `visit` sees each such cylinder (pass 0 to see them all, as probes do);
    /// the others cannot be candidates, so their statistics are never computed.
    ///
    /// With active `floors` the caller only needs cylinders whose surprise reaches their family's
    /// floor (an incident's evaluation only matters when it alerts): the others are not visited.
    /// Every cylinder that reaches its floor is still visited, in the same order, so the strongest
    /// one is the same.
    mutating func evaluate(
        centre: GridCell, layer: UInt16, endHour: Int64, minimumObserved: Int = 0, floors: ScanFloors = .none,
        visit: (ScanCylinder) -> Void
    ) -> Bool {
        guard Int(layer) < profiles.count, !profiles.isEmpty else { return false }
        // Scratch on the stack, a few hundred bytes: as arrays kept in the scan, each evaluation
        // paid their uniqueness checks, retains and releases (atomic operations, ~14 per evaluation).
        let nd = durations.count
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: (radius + 1) * nd + radius + 1) { counts in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: max(tilesAcross * tilesAcross, 1)) { disc in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: max(nd, 1)) { levelShare in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: max(nd, 1) + 2 * offsets.count) { rows in
                        // Only the per-duration values start set (they are written for durations
                        // with a candidate); the disc words and the cell lists are written first by
                        // each pass that reads them.
                        levelShare.initialize(repeating: 0)
                        rows.baseAddress!.initialize(repeating: -1, count: max(nd, 1))
                        let observed = counts.baseAddress!
                        return evaluate(
                            centre: centre, layer: layer, endHour: endHour, minimumObserved: minimumObserved, floors: floors,
                            observed: observed, baselines: observed + (radius + 1) * nd, disc: disc, levelShare: levelShare.baseAddress!,
                            rows: rows.baseAddress!, recent: rows.baseAddress! + max(nd, 1), visit: visit)
                    }
                }
            }
        }
    }

    /// `evaluate(centre:…)` with its scratch: observed per (ring, duration), baseline per ring, the
    /// disc's bits per window tile, per duration the city's expected share and its weight-ceiling row.
    private mutating func evaluate(
        centre: GridCell, layer: UInt16, endHour: Int64, minimumObserved: Int, floors: ScanFloors,
        observed: UnsafeMutablePointer<UInt32>, baselines: UnsafeMutablePointer<UInt32>, disc: UnsafeMutableBufferPointer<UInt64>,
        levelShare: UnsafeMutablePointer<Double>, rows: UnsafeMutablePointer<Int>, recent: UnsafeMutablePointer<Int>,
        visit: (ScanCylinder) -> Void
    ) -> Bool {
        guard let terms = cityTerms(layer: layer, endHour: endHour) else { return false }
        let (week, wa, level, prior) = terms
        let l = Int(layer)

        let nd = durations.count
        observed.update(repeating: 0, count: (radius + 1) * nd)
        baselines.update(repeating: 0, count: radius + 1)
        table.beginDisc(centre: centre, radius: radius, layer: layer)
        // First the cells that may hold recent occurrences (about one in nine on Toronto); the
        // others count nothing and are only needed for the baselines.
        var pendingCount = 0
        // The cells read for their counts, by location (`recent`) and ring: their baselines are
        // added only once the counts leave a candidate (about half the evaluations on Toronto end
        // before, and a cell's first baseline read in a week moves it, a cache miss or two).
        let recentRings = recent + offsets.count
        var recentCount = 0
        let byTiles = discPassByTiles(
            centre: centre, endHour: endHour, observed: observed, disc: disc, pending: &pendingCount, recent: recent,
            recentRings: recentRings, recentCount: &recentCount)
        if !byTiles {
            for o in tileOrder {
                let at = table.discLocation(GridCell(x: centre.x &+ o.dx, y: centre.y &+ o.dy))
                guard at >= 0 else { continue }
                if table.mayCount(location: at, endHour: endHour) {
                    baselines[o.ring] &+= table.baseline(location: at, week: week)
                    table.addRecentCounts(location: at, endHour: endHour, lengths: durations, into: observed, at: o.ring * nd)
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
            let row = observed + ring * nd
            let inner = row - nd
            for j in 0..<nd { row[j] &+= inner[j] }
            ring += 1
        }
        // Counts grow with the radius and the duration: when the widest, longest cylinder has too
        // few occurrences, no cylinder is a candidate (most evaluations end here).
        if nd > 0, minimumObserved > 0, Int(observed[radius * nd + nd - 1]) < minimumObserved { return true }
        for k in 0..<recentCount {
            baselines[recentRings[k]] &+= table.recentBaseline(location: recent[k], week: week)
        }
        // E = level × share × (baseline / Wa + prior × cells): the first product once per duration
        // that has a candidate (its widest cylinder has enough occurrences; the others are never read).
        // With a floor, each such duration's row of weight ceilings: E / weight is levelShare / Wa
        // up to rounding, and a grid ratio a relative 1e-9 below it is surely at most the surprise's.
        for j in 0..<nd where Int(observed[radius * nd + j]) >= minimumObserved {
            let start = ClusterTime.hourOfWeek(endHour - durations[j] + 1)
            levelShare[j] = level * profiles[l].share(fromHourOfWeek: start, hours: Int(durations[j]))
            let floor = floors.floor(index: j, firstLong: firstLong)
            rows[j] = floor > 0 ? ceilings.row(theta: levelShare[j] / wa * (1 - 1e-9), floor: floor) : -1
        }
        // Baselines are sums of non-negative counts, so the cells read so far give every
        // expectation a lower bound; when even that puts every cylinder below the floor, the
        // evaluation ends without reading the other cells' baselines.
        if floors.isActive, pendingCount > 0,
            !anyCylinderMayReach(
                floors: floors, minimumObserved: minimumObserved, wa: wa, prior: prior, observed: observed,
                baselines: baselines, levelShare: levelShare, rows: rows)
        {
            return true
        }
        if byTiles {
            addPendingBaselinesByTiles(centre: centre, week: week, baselines: baselines, disc: disc)
        } else {
            for k in 0..<pendingCount {
                baselines[pendingRing[k]] &+= table.baseline(location: pendingLocation[k], week: week)
            }
        }
        ring = 1
        while ring <= radius {
            baselines[ring] &+= baselines[ring - 1]
            ring += 1
        }
        for ring in 0...radius {
            let cells = cellsWithin[ring]
            let perHours = Self.perHours(baseline: Double(baselines[ring]), cells: cells, wa: wa, prior: prior)
            for j in 0..<nd {
                let o = Int(observed[ring * nd + j])
                guard o >= minimumObserved else { continue }
                let d = durations[j]
                let expected = levelShare[j] * perHours
                let weight = wa * perHours
                let floor = floors.floor(index: j, firstLong: firstLong)
                if floor > 0, ceilings.skips(observed: o, weight: weight, row: rows[j]) { continue }
                let surprise = ScanCylinder.surprise(observed: o, expected: expected, weight: weight, atLeast: floor)
                if floor > 0, surprise < floor { continue }
                visit(
                    ScanCylinder(
                        centre: centre, layer: layer, radiusCells: ring, cellCount: cells, durationHours: Int(d),
                        endHour: endHour, observed: o, expected: expected, baselineWeight: weight,
                        llr: ScanCylinder.likelihoodRatio(observed: o, expected: expected), surprise: surprise))
            }
        }
        return true
    }

    /// The city-wide terms of every expectation for `layer` at `endHour`: its week, the baseline
    /// weeks with data (Wa), the current level and the prior per cell; nil before the baseline has
    /// `minimumBaselineWeeks` weeks or while the layer has none. The profiles are prepared for the
    /// week as a side effect.
    @inline(__always)
    private mutating func cityTerms(layer: UInt16, endHour: Int64) -> (week: Int64, wa: Double, level: Double, prior: Double)? {
        let week = ClusterTime.week(ofHour: endHour)
        let l = Int(layer)
        profiles[0].prepare(week: week)
        let weeksWithData = profiles[0].current.weeksWithData
        guard weeksWithData > 0, weeksWithData >= configuration.minimumBaselineWeeks else { return nil }
        let allBaseline = profiles[0].current.baselineTotal
        profiles[l].prepare(week: week)
        let cityBaseline = profiles[l].current.baselineTotal
        guard cityBaseline > 0 else { return nil }
        let wa = Double(weeksWithData)
        let level = (profiles[l].current.recentTotal + 1) / (4 * cityBaseline / wa + 1)
        let prior = configuration.priorPerCellYear / 52 * (cityBaseline / allBaseline)
        return (week, wa, level, prior)
    }

    /// The one cylinder centred on `centre` for `layer` ending at `endHour` with `radiusCells` and
    /// `durationHours` (one of the scan's durations), exactly as `evaluate` states it (the same
    /// counts, baseline sum and arithmetic, its surprise computed against `atLeast` as there), or
    /// nil when an evaluation would have no baseline or the shape is not the scan's. It reads only
    /// the cells within that radius: the hourly re-check of an open cluster first asks whether the
    /// cylinder that kept it open still does, and scans in full only when not.
    mutating func cylinder(
        centre: GridCell, layer: UInt16, endHour: Int64, radiusCells r: Int, durationHours: Int, atLeast: Double = 0
    ) -> ScanCylinder? {
        guard Int(layer) < profiles.count, r >= 0, r <= radius, let j = durations.firstIndex(of: Int64(durationHours)),
            let terms = cityTerms(layer: layer, endHour: endHour)
        else { return nil }
        let (week, wa, level, prior) = terms
        let nd = durations.count
        var baseline: UInt32 = 0
        let observed = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: nd) { counts in
            counts.initialize(repeating: 0)
            table.beginDisc(centre: centre, radius: r, layer: layer)
            for o in offsets[0..<cellsWithin[r]] {
                let at = table.discLocation(GridCell(x: centre.x &+ o.dx, y: centre.y &+ o.dy))
                guard at >= 0 else { continue }
                baseline &+= table.baseline(location: at, week: week)
                if table.mayCount(location: at, endHour: endHour) {
                    table.addRecentCounts(location: at, endHour: endHour, lengths: durations, into: counts.baseAddress!, at: 0)
                }
            }
            return Int(counts[j])
        }
        let d = durations[j]
        let levelShare = level * profiles[Int(layer)].share(fromHourOfWeek: ClusterTime.hourOfWeek(endHour - d + 1), hours: Int(d))
        let cells = cellsWithin[r]
        let perHours = Self.perHours(baseline: Double(baseline), cells: cells, wa: wa, prior: prior)
        let expected = levelShare * perHours
        let weight = wa * perHours
        return ScanCylinder(
            centre: centre, layer: layer, radiusCells: r, cellCount: cells, durationHours: Int(d), endHour: endHour,
            observed: observed, expected: expected, baselineWeight: weight,
            llr: ScanCylinder.likelihoodRatio(observed: observed, expected: expected),
            surprise: ScanCylinder.surprise(observed: observed, expected: expected, weight: weight, atLeast: atLeast))
    }

    /// The first pass of an evaluation, tile by tile: each window tile's disc cells as a 64-bit
    /// mask (a column of the disc is a run of bits), intersected with the tile's mask of cells
    /// that may hold recent occurrences; only those cells are read, for their counts, and listed
    /// in `recent` (location) and `recentRings`. The others stay in `disc` for their baselines
    /// (`pending` becomes 1 when there are any). False (nothing done) when the window wraps past Int32.
    private mutating func discPassByTiles(
        centre: GridCell, endHour: Int64, observed: UnsafeMutablePointer<UInt32>, disc: UnsafeMutableBufferPointer<UInt64>,
        pending: inout Int, recent: UnsafeMutablePointer<Int>, recentRings: UnsafeMutablePointer<Int>, recentCount: inout Int
    ) -> Bool {
        let window = table.window
        guard !window.wraps, radius >= 0 else { return false }
        let side = ScanSlotIndex.tileSide
        let rows = window.height
        let cx = Int(centre.x)
        let cy = Int(centre.y)
        let tileCount = window.count
        let position = (cx & (side - 1)) * side + (cy & (side - 1))
        let first = position * tilesAcross * tilesAcross
        for i in 0..<tileCount { disc[i] = discMasks[first + i] }
        let nd = durations.count
        let width = 2 * radius + 1
        // Tile i is in column i / rows and row i % rows of the window, counted along (no division).
        var column = 0
        var row = -1
        // The list's length, the pending flag, the ring table and the tiles in locals: as inouts
        // and arrays they were stored, reloaded and bounds-checked for every cell.
        var listed = recentCount
        var anyPending = false
        ringOf.withUnsafeBufferPointer { ringBuffer in
            window.tiles.withUnsafeBufferPointer { tiles in
                let rings = ringBuffer.baseAddress!
                for i in 0..<tileCount {
                    row &+= 1
                    if row == rows {
                        row = 0
                        column &+= 1
                    }
                    let tile = tiles[i]
                    let bits = disc[i]
                    guard tile != ScanSlotIndex.none, bits != 0 else { continue }
                    let originX = (Int(window.x) &+ column) << ScanSlotIndex.tileShift
                    let originY = (Int(window.y) &+ row) << ScanSlotIndex.tileShift
                    let base = Int(tile) * ScanSlotIndex.tileCells
                    let active = bits & table.recentBits(tile: tile, endHour: endHour)
                    // Offsets within the window (small: wrapping arithmetic, no overflow checks per cell).
                    let columnOffset = originX &- cx &+ radius
                    let rowOffset = originY &- cy &+ radius
                    let shift = Int(ScanSlotIndex.tileShift)
                    let lowBits = side &- 1
                    var left = active
                    while left != 0 {
                        let p = left.trailingZeroBitCount
                        left &= left &- 1
                        let ring = rings[(columnOffset &+ p &>> shift) &* width &+ rowOffset &+ (p & lowBits)]
                        recent[listed] = base &+ p
                        recentRings[listed] = ring
                        listed &+= 1
                        table.addRecentCounts(location: base &+ p, endHour: endHour, lengths: durations, into: observed, at: ring &* nd)
                    }
                    // The rest waits in the tile's disc bits (read only if the bound needs them).
                    disc[i] = bits & ~active
                    if disc[i] != 0 { anyPending = true }
                }
            }
        }
        recentCount = listed
        if anyPending { pending = 1 }
        return true
    }

    /// The disc around (`cx`, `cy`) as bits per tile of the window whose first tile is (`windowX`,
    /// `windowY`) and which has `rows` rows (column-major, as `ScanSlotIndex` lays out its window).
    private static func buildDisc(
        into disc: UnsafeMutableBufferPointer<UInt64>, cx: Int, cy: Int, radius: Int, halfHeight: [Int], windowX: Int, windowY: Int,
        rows: Int
    ) {
        let side = ScanSlotIndex.tileSide
        for dx in -radius...radius {
            let x = cx + dx
            let h = halfHeight[abs(dx)]
            let column = (x >> ScanSlotIndex.tileShift) - windowX
            let px = x & (side - 1)
            var y = cy - h
            while y <= cy + h {
                let tileRow = y >> ScanSlotIndex.tileShift
                let last = min(cy + h, (tileRow << ScanSlotIndex.tileShift) + side - 1)
                let run = last - y + 1
                disc[column * rows + tileRow - windowY] |= ((UInt64(1) << UInt64(run)) - 1) << UInt64(px * side + (y & (side - 1)))
                y = last + 1
            }
        }
    }

    /// Adds the baselines of the cells `discPassByTiles` left pending.
    private mutating func addPendingBaselinesByTiles(
        centre: GridCell, week: Int64, baselines: UnsafeMutablePointer<UInt32>, disc: UnsafeMutableBufferPointer<UInt64>
    ) {
        let window = table.window
        let side = ScanSlotIndex.tileSide
        let rows = window.height
        let width = 2 * radius + 1
        let cx = Int(centre.x)
        let cy = Int(centre.y)
        for i in 0..<window.count where disc[i] != 0 && window.tiles[i] != ScanSlotIndex.none {
            let originX = (Int(window.x) + i / rows) << ScanSlotIndex.tileShift
            let originY = (Int(window.y) + i % rows) << ScanSlotIndex.tileShift
            let base = Int(window.tiles[i]) * ScanSlotIndex.tileCells
            var bits = disc[i]
            while bits != 0 {
                let p = bits.trailingZeroBitCount
                bits &= bits - 1
                let ring = ringOf[(originX + p / side - cx + radius) * width + originY + p % side - cy + radius]
                baselines[ring] &+= table.baseline(location: base + p, week: week)
            }
        }
    }

    // E of docs/CLUSTERS.md for a disc of `cells` cells with `baseline` occurrences in its baseline
    // weeks, over the `hours` hours ending at `endHour`, is level × share(hours) × perHours(baseline,
    // cells), multiplied in that order everywhere (an evaluation takes the first product once per
    // duration and the last factor once per radius, so every E is the same double).

    /// The disc's expected occurrences per week of average profile: its own weekly baseline plus
    /// the prior's floor for its cells.
    @inline(__always) private static func perHours(baseline: Double, cells: Int, wa: Double, prior: Double) -> Double {
        baseline / wa + prior * Double(cells)
    }

    /// Whether a cylinder with enough occurrences may reach `floor` with the baselines summed so
    /// far per ring (a lower bound of each disc's). More baseline raises the expectation and its
    /// weight by the same factor, and the surprise only falls as the weight grows at a fixed
    /// ratio, so the partial sums bound every surprise from above; a cylinder whose partial weight
    /// is already past its weight ceiling is below the floor without computing that bound.
    private mutating func anyCylinderMayReach(
        floors: ScanFloors, minimumObserved: Int, wa: Double, prior: Double, observed: UnsafeMutablePointer<UInt32>,
        baselines: UnsafeMutablePointer<UInt32>, levelShare: UnsafeMutablePointer<Double>, rows: UnsafeMutablePointer<Int>
    ) -> Bool {
        let nd = durations.count
        var partial: UInt32 = 0
        for ring in 0...radius {
            partial &+= baselines[ring]
            let cells = cellsWithin[ring]
            let perHours = Self.perHours(baseline: Double(partial), cells: cells, wa: wa, prior: prior)
            for j in 0..<nd {
                let o = Int(observed[ring * nd + j])
                guard o >= minimumObserved else { continue }
                let floor = floors.floor(index: j, firstLong: firstLong)
                let weight = wa * perHours
                if ceilings.skips(observed: o, weight: weight, row: rows[j]) { continue }
                let atMost = ScanCylinder.surprise(
                    observed: o, expected: levelShare[j] * perHours, weight: weight, atLeast: floor)
                if atMost * (1 + 1e-9) >= floor { return true }  // slack: rounding never prunes a reachable one
            }
        }
        return false
    }

    /// Frees keys no baseline or cylinder reaches any more.
    mutating func expire(currentHour: Int64) -> Int {
        table.expire(olderThanWeek: ClusterTime.week(ofHour: currentHour) - ScanCountTable.baselineFirst - 1)
    }
}
